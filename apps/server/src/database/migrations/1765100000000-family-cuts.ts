import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A family revocation names the family it ends, as every access token minted from a family names
 * it (`family_id`): the cut of such a token is that event, with no time comparison, so a token of
 * another family of the same session and client is never reached, whenever it was minted.
 */
export class FamilyCuts1765100000000 implements MigrationInterface {
  name = 'FamilyCuts1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE revocation_events ADD COLUMN family_id uuid`);
    await q.query(
      `CREATE INDEX revocation_events__tenant_id__family_id ON revocation_events (tenant_id, family_id)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX revocation_events__tenant_id__family_id`);
    await q.query(`ALTER TABLE revocation_events DROP COLUMN family_id`);
  }
}
