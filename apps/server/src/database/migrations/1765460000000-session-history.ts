import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The session history: `sessions.revoked_by` keeps who ended a session (the administrator's
 * subject, or the user signing out), which before only the audit entry's detail held; the index
 * lists a tenant's ended sessions, most recently ended first. Neither column changes on a refresh,
 * so a refresh's update of the session stays heap-only (HOT).
 */
export class SessionHistory1765460000000 implements MigrationInterface {
  name = 'SessionHistory1765460000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sessions ADD COLUMN revoked_by text`);
    await q.query(
      `CREATE INDEX sessions__tenant_id__revoked_at ON sessions (tenant_id, revoked_at)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX sessions__tenant_id__revoked_at`);
    await q.query(`ALTER TABLE sessions DROP COLUMN revoked_by`);
  }
}
