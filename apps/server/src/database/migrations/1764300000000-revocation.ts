import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The revocation feed and the back-channel logout outbox. */
export class Revocation1764300000000 implements MigrationInterface {
  name = 'Revocation1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE revocation_events (
        id bigserial NOT NULL,
        tenant_id uuid NOT NULL,
        type text NOT NULL,
        sid uuid,
        jti text,
        sub text,
        client_id text,
        reason text,
        not_before timestamptz,
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT revocation_events__pk PRIMARY KEY (id),
        CONSTRAINT revocation_events__tenant_id__fk FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
        CONSTRAINT revocation_events__type CHECK (type IN ('session', 'family', 'access_token', 'user'))
      )`);
    await q.query(
      `CREATE INDEX revocation_events__tenant_id__id ON revocation_events (tenant_id, id)`,
    );
    await q.query(
      `CREATE INDEX revocation_events__tenant_id__jti ON revocation_events (tenant_id, jti)`,
    );
    await q.query(
      `CREATE INDEX revocation_events__tenant_id__sid ON revocation_events (tenant_id, sid)`,
    );
    await q.query(
      `CREATE INDEX revocation_events__tenant_id__sub ON revocation_events (tenant_id, sub)`,
    );
    await q.query(`
      CREATE TABLE backchannel_deliveries (
        id uuid NOT NULL,
        tenant_id uuid NOT NULL,
        application_id uuid NOT NULL,
        session_id uuid NOT NULL,
        sub text NOT NULL,
        status text NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        delivered_at timestamptz,
        CONSTRAINT backchannel_deliveries__pk PRIMARY KEY (id),
        CONSTRAINT backchannel_deliveries__tenant_id__fk FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
        CONSTRAINT backchannel_deliveries__application_id__fk FOREIGN KEY (application_id) REFERENCES applications (id) ON DELETE CASCADE,
        CONSTRAINT backchannel_deliveries__status CHECK (status IN ('pending', 'delivered', 'failed'))
      )`);
    await q.query(
      `CREATE INDEX backchannel_deliveries__status__next_attempt_at ON backchannel_deliveries (status, next_attempt_at)`,
    );
    await q.query(
      `CREATE INDEX backchannel_deliveries__session_id ON backchannel_deliveries (session_id)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE backchannel_deliveries`);
    await q.query(`DROP TABLE revocation_events`);
  }
}
