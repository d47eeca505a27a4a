import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Sign-in: sessions and their surfaces, authorization codes, refresh-token families, throttling, audit. */
export class Sessions1764100000000 implements MigrationInterface {
  name = 'Sessions1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE sessions (
        id uuid NOT NULL,
        tenant_id uuid NOT NULL,
        user_id uuid NOT NULL,
        cookie_hash bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_seen_at timestamptz NOT NULL DEFAULT now(),
        auth_time timestamptz NOT NULL,
        idle_expires_at timestamptz NOT NULL,
        absolute_expires_at timestamptz NOT NULL,
        ip text,
        user_agent text,
        revoked_at timestamptz,
        revocation_reason text,
        CONSTRAINT sessions__pk PRIMARY KEY (id),
        CONSTRAINT sessions__tenant_id__fk FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
        CONSTRAINT sessions__user_id__fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
      )`);
    await q.query(`CREATE UNIQUE INDEX sessions__cookie_hash ON sessions (cookie_hash)`);
    await q.query(
      `CREATE INDEX sessions__tenant_id__last_seen_at ON sessions (tenant_id, last_seen_at)`,
    );
    await q.query(`CREATE INDEX sessions__tenant_id__user_id ON sessions (tenant_id, user_id)`);
    await q.query(`
      CREATE TABLE session_surfaces (
        session_id uuid NOT NULL,
        application_id uuid NOT NULL,
        tenant_id uuid NOT NULL,
        first_seen_at timestamptz NOT NULL DEFAULT now(),
        last_seen_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT session_surfaces__pk PRIMARY KEY (session_id, application_id),
        CONSTRAINT session_surfaces__session_id__fk FOREIGN KEY (session_id) REFERENCES sessions (id) ON DELETE CASCADE,
        CONSTRAINT session_surfaces__application_id__fk FOREIGN KEY (application_id) REFERENCES applications (id) ON DELETE CASCADE
      )`);
    await q.query(
      `CREATE INDEX session_surfaces__application_id ON session_surfaces (application_id)`,
    );
    await q.query(`
      CREATE TABLE refresh_token_families (
        id uuid NOT NULL,
        tenant_id uuid NOT NULL,
        session_id uuid NOT NULL,
        application_id uuid NOT NULL,
        user_id uuid NOT NULL,
        scopes jsonb NOT NULL,
        resources jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        absolute_expires_at timestamptz NOT NULL,
        revoked_at timestamptz,
        revocation_reason text,
        CONSTRAINT refresh_token_families__pk PRIMARY KEY (id),
        CONSTRAINT refresh_token_families__session_id__fk FOREIGN KEY (session_id) REFERENCES sessions (id) ON DELETE CASCADE,
        CONSTRAINT refresh_token_families__application_id__fk FOREIGN KEY (application_id) REFERENCES applications (id) ON DELETE CASCADE
      )`);
    await q.query(
      `CREATE INDEX refresh_token_families__session_id ON refresh_token_families (session_id)`,
    );
    await q.query(`
      CREATE TABLE refresh_tokens (
        id uuid NOT NULL,
        tenant_id uuid NOT NULL,
        family_id uuid NOT NULL,
        token_hash bytea NOT NULL,
        generation integer NOT NULL,
        parent_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        idle_expires_at timestamptz NOT NULL,
        used_at timestamptz,
        grace_replays integer NOT NULL DEFAULT 0,
        CONSTRAINT refresh_tokens__pk PRIMARY KEY (id),
        CONSTRAINT refresh_tokens__family_id__fk FOREIGN KEY (family_id) REFERENCES refresh_token_families (id) ON DELETE CASCADE
      )`);
    await q.query(`CREATE UNIQUE INDEX refresh_tokens__token_hash ON refresh_tokens (token_hash)`);
    // a token has at most one successor, whatever races a rotation meets
    await q.query(`CREATE UNIQUE INDEX refresh_tokens__parent_id ON refresh_tokens (parent_id)`);
    await q.query(`CREATE INDEX refresh_tokens__family_id ON refresh_tokens (family_id)`);
    await q.query(`
      CREATE TABLE authorization_codes (
        id uuid NOT NULL,
        tenant_id uuid NOT NULL,
        code_hash bytea NOT NULL,
        application_id uuid NOT NULL,
        session_id uuid NOT NULL,
        user_id uuid NOT NULL,
        redirect_uri text NOT NULL,
        scopes jsonb NOT NULL,
        resources jsonb NOT NULL,
        nonce text,
        code_challenge text,
        auth_time timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        family_id uuid,
        CONSTRAINT authorization_codes__pk PRIMARY KEY (id),
        CONSTRAINT authorization_codes__session_id__fk FOREIGN KEY (session_id) REFERENCES sessions (id) ON DELETE CASCADE
      )`);
    await q.query(
      `CREATE UNIQUE INDEX authorization_codes__code_hash ON authorization_codes (code_hash)`,
    );
    await q.query(`
      CREATE TABLE throttle_counters (
        key text NOT NULL,
        failures integer NOT NULL,
        window_started_at timestamptz NOT NULL,
        blocked_until timestamptz,
        CONSTRAINT throttle_counters__pk PRIMARY KEY (key)
      )`);
    await q.query(`
      CREATE TABLE audit_events (
        id uuid NOT NULL,
        tenant_id uuid NOT NULL,
        type text NOT NULL,
        session_id uuid,
        user_id uuid,
        client_id text,
        ip text,
        user_agent text,
        detail jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT audit_events__pk PRIMARY KEY (id),
        CONSTRAINT audit_events__tenant_id__fk FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
      )`);
    await q.query(
      `CREATE INDEX audit_events__tenant_id__created_at ON audit_events (tenant_id, created_at)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'audit_events',
      'throttle_counters',
      'authorization_codes',
      'refresh_tokens',
      'refresh_token_families',
      'session_surfaces',
      'sessions',
    ]) {
      await q.query(`DROP TABLE ${table}`);
    }
  }
}
