import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per-tenant rate limits: the rules a tenant overrides (seconds), the others follow the defaults.
 * The counters themselves stay in throttle_counters, which now also counts requests.
 */
export class RateLimits1764000000500 implements MigrationInterface {
  name = 'RateLimits1764000000500';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tenants ADD COLUMN rate_limits jsonb NOT NULL DEFAULT '{}'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tenants DROP COLUMN rate_limits`);
  }
}
