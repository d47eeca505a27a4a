import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Key withdrawal: a signing key can leave the JWKS at once (`withdrawn`), and the revocation feed
 * names it (`key` events with its `kid`), so every token it signed is refused by introspection at
 * once and by feed-following validators within the feed's latency.
 */
export class KeyWithdrawal1765110000000 implements MigrationInterface {
  name = 'KeyWithdrawal1765110000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE signing_keys ADD COLUMN withdrawn_at timestamptz`);
    await q.query(`ALTER TABLE signing_keys DROP CONSTRAINT signing_keys__state`);
    await q.query(
      `ALTER TABLE signing_keys ADD CONSTRAINT signing_keys__state CHECK (state IN ('next', 'active', 'retired', 'withdrawn'))`,
    );
    await q.query(`ALTER TABLE revocation_events ADD COLUMN kid text`);
    await q.query(`ALTER TABLE revocation_events DROP CONSTRAINT revocation_events__type`);
    await q.query(
      `ALTER TABLE revocation_events ADD CONSTRAINT revocation_events__type CHECK (type IN ('session', 'family', 'access_token', 'user', 'key'))`,
    );
    await q.query(
      `CREATE INDEX revocation_events__tenant_id__kid ON revocation_events (tenant_id, kid)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    // before withdrawal existed, a key out of the JWKS was a retired key past its publication
    await q.query(`DROP INDEX revocation_events__tenant_id__kid`);
    await q.query(`DELETE FROM revocation_events WHERE type = 'key'`);
    await q.query(`ALTER TABLE revocation_events DROP CONSTRAINT revocation_events__type`);
    await q.query(
      `ALTER TABLE revocation_events ADD CONSTRAINT revocation_events__type CHECK (type IN ('session', 'family', 'access_token', 'user'))`,
    );
    await q.query(`ALTER TABLE revocation_events DROP COLUMN kid`);
    await q.query(
      `UPDATE signing_keys SET state = 'retired', retired_at = COALESCE(retired_at, withdrawn_at), publish_until = withdrawn_at WHERE state = 'withdrawn'`,
    );
    await q.query(`ALTER TABLE signing_keys DROP CONSTRAINT signing_keys__state`);
    await q.query(
      `ALTER TABLE signing_keys ADD CONSTRAINT signing_keys__state CHECK (state IN ('next', 'active', 'retired'))`,
    );
    await q.query(`ALTER TABLE signing_keys DROP COLUMN withdrawn_at`);
  }
}
