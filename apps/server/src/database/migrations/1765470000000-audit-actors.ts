import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Who made an administrative change and what it changed: the actor (a principal of the tenant that
 * issued their token, with the email or client id it had then) and the target (kind, id, name).
 * Columns, not jsonb, because the audit log is filtered by them; each index leads with the tenant,
 * as every read does.
 */
export class AuditActors1765470000000 implements MigrationInterface {
  name = 'AuditActors1765470000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE audit_events
        ADD COLUMN actor_sub text,
        ADD COLUMN actor_tenant_id uuid,
        ADD COLUMN actor_name text,
        ADD COLUMN target_kind text,
        ADD COLUMN target_id text,
        ADD COLUMN target_name text`);
    for (const [name, columns] of INDEXES)
      await q.query(`CREATE INDEX ${name} ON audit_events (${columns})`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const [name] of [...INDEXES].reverse()) await q.query(`DROP INDEX ${name}`);
    await q.query(`
      ALTER TABLE audit_events
        DROP COLUMN target_name,
        DROP COLUMN target_id,
        DROP COLUMN target_kind,
        DROP COLUMN actor_name,
        DROP COLUMN actor_tenant_id,
        DROP COLUMN actor_sub`);
  }
}

const INDEXES = [
  ['audit_events__tenant_id__actor_sub__created_at', 'tenant_id, actor_sub, created_at'],
  ['audit_events__tenant_id__target_id__created_at', 'tenant_id, target_id, created_at'],
  ['audit_events__tenant_id__user_id__created_at', 'tenant_id, user_id, created_at'],
] as const;
