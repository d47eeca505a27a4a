import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Ending what a deleted or disabled application, resource server or tenant held:
 * - `applications.is_disabled`: a disabled application authenticates nowhere and starts no sign-in;
 * - `applications.tokens_issued_after`: its client_credentials tokens are stamped after the last cut
 *   of its client's tokens, so a cut never reaches a token minted after it;
 * - `tenants.deleted_at`: a deleted tenant's issuer is gone at once, while its rows stay until its
 *   last token has expired (its feed, its back-channel logouts), then are purged;
 * - `revocation_events.aud` and the `audience` type: every token for a deleted resource server's
 *   identifier issued until then, sessions or not.
 */
export class Ending1765200000000 implements MigrationInterface {
  name = 'Ending1765200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE applications ADD COLUMN is_disabled boolean NOT NULL DEFAULT false`);
    await q.query(`ALTER TABLE applications ADD COLUMN tokens_issued_after timestamptz`);
    await q.query(`ALTER TABLE tenants ADD COLUMN deleted_at timestamptz`);
    await q.query(`ALTER TABLE revocation_events ADD COLUMN aud text`);
    await q.query(`ALTER TABLE revocation_events DROP CONSTRAINT revocation_events__type`);
    await q.query(
      `ALTER TABLE revocation_events ADD CONSTRAINT revocation_events__type CHECK (type IN ('session', 'family', 'access_token', 'user', 'key', 'audience'))`,
    );
    await q.query(
      `CREATE INDEX revocation_events__tenant_id__aud ON revocation_events (tenant_id, aud)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX revocation_events__tenant_id__aud`);
    await q.query(`DELETE FROM revocation_events WHERE type = 'audience'`);
    await q.query(`ALTER TABLE revocation_events DROP CONSTRAINT revocation_events__type`);
    await q.query(
      `ALTER TABLE revocation_events ADD CONSTRAINT revocation_events__type CHECK (type IN ('session', 'family', 'access_token', 'user', 'key'))`,
    );
    await q.query(`ALTER TABLE revocation_events DROP COLUMN aud`);
    // a deleted tenant would come back to life: its purge is what a down cannot wait for
    await q.query(`DELETE FROM tenants WHERE deleted_at IS NOT NULL`);
    await q.query(`ALTER TABLE tenants DROP COLUMN deleted_at`);
    await q.query(`ALTER TABLE applications DROP COLUMN tokens_issued_after`);
    await q.query(`ALTER TABLE applications DROP COLUMN is_disabled`);
  }
}
