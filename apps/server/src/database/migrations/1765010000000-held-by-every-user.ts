import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A resource server whose scopes every user of the tenant holds: the built-in account API, which
 * only ever acts on the caller's own sessions. Which applications may ask for it stays the
 * tenant's choice (their grants).
 */
export class HeldByEveryUser1765010000000 implements MigrationInterface {
  name = 'HeldByEveryUser1765010000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE resource_servers ADD COLUMN held_by_every_user boolean NOT NULL DEFAULT false`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE resource_servers DROP COLUMN held_by_every_user`);
  }
}
