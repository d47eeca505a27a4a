import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The overview counts a tenant's back-channel logouts given up on over the last days: a partial
 * index keeps that to the failed rows of the tenant, however many were delivered.
 */
export class DashboardIndexes1765490000000 implements MigrationInterface {
  name = 'DashboardIndexes1765490000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX backchannel_deliveries__tenant_id__created_at__failed
       ON backchannel_deliveries (tenant_id, created_at) WHERE status = 'failed'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX backchannel_deliveries__tenant_id__created_at__failed`);
  }
}
