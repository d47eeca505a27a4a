import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The foundation: secrets, tenants, keys, applications, resource servers and grants, users, tenant admins. */
export class Init1764000000000 implements MigrationInterface {
  name = 'Init1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE server_secrets (
        name text NOT NULL,
        value bytea NOT NULL,
        is_wrapped boolean NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT server_secrets__pk PRIMARY KEY (name)
      )`);
    await q.query(`
      CREATE TABLE tenants (
        id uuid NOT NULL,
        slug text NOT NULL,
        name text NOT NULL,
        signing_alg text NOT NULL,
        access_token_ttl integer NOT NULL,
        refresh_idle_ttl integer NOT NULL,
        refresh_absolute_ttl integer NOT NULL,
        session_idle_ttl integer NOT NULL,
        session_absolute_ttl integer NOT NULL,
        is_sliding boolean NOT NULL,
        is_rotating boolean NOT NULL,
        reuse_grace_seconds integer NOT NULL,
        on_reuse text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT tenants__pk PRIMARY KEY (id),
        CONSTRAINT tenants__signing_alg CHECK (signing_alg IN ('ES256', 'EdDSA')),
        CONSTRAINT tenants__on_reuse CHECK (on_reuse IN ('revoke-session', 'revoke-family'))
      )`);
    await q.query(`CREATE UNIQUE INDEX tenants__slug ON tenants (slug)`);
    await q.query(`
      CREATE TABLE signing_keys (
        id uuid NOT NULL,
        tenant_id uuid NOT NULL,
        kid text NOT NULL,
        alg text NOT NULL,
        state text NOT NULL,
        public_jwk jsonb NOT NULL,
        private_key_enc bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        activated_at timestamptz,
        retired_at timestamptz,
        publish_until timestamptz,
        CONSTRAINT signing_keys__pk PRIMARY KEY (id),
        CONSTRAINT signing_keys__tenant_id__fk FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
        CONSTRAINT signing_keys__state CHECK (state IN ('next', 'active', 'retired'))
      )`);
    await q.query(`CREATE UNIQUE INDEX signing_keys__kid ON signing_keys (kid)`);
    await q.query(`CREATE INDEX signing_keys__tenant_id__state ON signing_keys (tenant_id, state)`);
    // at most one active and one next key per tenant, whatever races a rotation meets
    await q.query(
      `CREATE UNIQUE INDEX signing_keys__one_active ON signing_keys (tenant_id) WHERE state = 'active'`,
    );
    await q.query(
      `CREATE UNIQUE INDEX signing_keys__one_next ON signing_keys (tenant_id) WHERE state = 'next'`,
    );
    await q.query(`
      CREATE TABLE resource_servers (
        id uuid NOT NULL,
        tenant_id uuid NOT NULL,
        identifier text NOT NULL,
        name text NOT NULL,
        base_urls jsonb NOT NULL,
        scopes jsonb NOT NULL,
        permission_groups jsonb NOT NULL,
        access_token_ttl integer,
        allows_offline_access boolean NOT NULL DEFAULT true,
        is_system boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT resource_servers__pk PRIMARY KEY (id),
        CONSTRAINT resource_servers__tenant_id__fk FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
      )`);
    await q.query(
      `CREATE UNIQUE INDEX resource_servers__tenant_id__identifier ON resource_servers (tenant_id, identifier)`,
    );
    await q.query(`
      CREATE TABLE applications (
        id uuid NOT NULL,
        tenant_id uuid NOT NULL,
        client_id text NOT NULL,
        name text NOT NULL,
        type text NOT NULL,
        secret_hash bytea,
        redirect_uris jsonb NOT NULL,
        post_logout_redirect_uris jsonb NOT NULL,
        backchannel_logout_uri text,
        grant_types jsonb NOT NULL,
        default_resource_server_id uuid,
        access_token_ttl integer,
        refresh_idle_ttl integer,
        refresh_absolute_ttl integer,
        session_idle_ttl integer,
        session_absolute_ttl integer,
        is_sliding boolean,
        is_rotating boolean,
        reuse_grace_seconds integer,
        on_reuse text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT applications__pk PRIMARY KEY (id),
        CONSTRAINT applications__tenant_id__fk FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
        CONSTRAINT applications__default_resource_server_id__fk FOREIGN KEY (default_resource_server_id)
          REFERENCES resource_servers (id) ON DELETE SET NULL,
        CONSTRAINT applications__type CHECK (type IN ('confidential', 'public')),
        CONSTRAINT applications__secret CHECK ((type = 'confidential') = (secret_hash IS NOT NULL))
      )`);
    await q.query(
      `CREATE UNIQUE INDEX applications__tenant_id__client_id ON applications (tenant_id, client_id)`,
    );
    await q.query(`
      CREATE TABLE application_grants (
        id uuid NOT NULL,
        tenant_id uuid NOT NULL,
        application_id uuid NOT NULL,
        resource_server_id uuid NOT NULL,
        scopes jsonb NOT NULL,
        permission_groups jsonb NOT NULL,
        flows jsonb NOT NULL,
        CONSTRAINT application_grants__pk PRIMARY KEY (id),
        CONSTRAINT application_grants__tenant_id__fk FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
        CONSTRAINT application_grants__application_id__fk FOREIGN KEY (application_id) REFERENCES applications (id) ON DELETE CASCADE,
        CONSTRAINT application_grants__resource_server_id__fk FOREIGN KEY (resource_server_id) REFERENCES resource_servers (id) ON DELETE CASCADE
      )`);
    await q.query(
      `CREATE UNIQUE INDEX application_grants__application_id__resource_server_id ON application_grants (application_id, resource_server_id)`,
    );
    await q.query(`
      CREATE TABLE users (
        id uuid NOT NULL,
        tenant_id uuid NOT NULL,
        email text NOT NULL,
        password_hash text NOT NULL,
        is_disabled boolean NOT NULL DEFAULT false,
        roles jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT users__pk PRIMARY KEY (id),
        CONSTRAINT users__tenant_id__fk FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
      )`);
    await q.query(`CREATE UNIQUE INDEX users__tenant_id__email ON users (tenant_id, email)`);
    await q.query(`
      CREATE TABLE tenant_admins (
        tenant_id uuid NOT NULL,
        subject text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT tenant_admins__pk PRIMARY KEY (tenant_id, subject),
        CONSTRAINT tenant_admins__tenant_id__fk FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'tenant_admins',
      'users',
      'application_grants',
      'applications',
      'resource_servers',
      'signing_keys',
      'tenants',
      'server_secrets',
    ]) {
      await q.query(`DROP TABLE ${table}`);
    }
  }
}
