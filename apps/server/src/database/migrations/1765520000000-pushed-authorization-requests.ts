import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * RFC 9126 pushed authorization requests: the request a client pushed, kept under the HMAC of its
 * request_uri until it is used once or expires; and the application setting that accepts no
 * authorization request any other way.
 */
export class PushedAuthorizationRequests1765520000000 implements MigrationInterface {
  name = 'PushedAuthorizationRequests1765520000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE pushed_authorization_requests (
        id uuid NOT NULL,
        tenant_id uuid NOT NULL,
        application_id uuid NOT NULL,
        request_uri_hash bytea NOT NULL,
        params jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        CONSTRAINT pushed_authorization_requests__pk PRIMARY KEY (id),
        CONSTRAINT pushed_authorization_requests__tenant_id__fk FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
        CONSTRAINT pushed_authorization_requests__application_id__fk FOREIGN KEY (application_id) REFERENCES applications (id) ON DELETE CASCADE
      )`);
    await q.query(
      `CREATE UNIQUE INDEX pushed_authorization_requests__request_uri_hash
       ON pushed_authorization_requests (request_uri_hash)`,
    );
    await q.query(
      `CREATE INDEX pushed_authorization_requests__expires_at ON pushed_authorization_requests (expires_at)`,
    );
    await q.query(
      `ALTER TABLE applications ADD COLUMN require_pushed_authorization_requests boolean NOT NULL DEFAULT false`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE applications DROP COLUMN require_pushed_authorization_requests`);
    await q.query(`DROP TABLE pushed_authorization_requests`);
  }
}
