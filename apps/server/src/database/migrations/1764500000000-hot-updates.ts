import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Room on every page for heap-only (HOT) updates of the rows a refresh changes: the presented
 * refresh token (`used_at`), its session (`idle_expires_at`, and `last_seen_at` at most once a
 * minute) and the application's surface (`last_seen_at`). None of those columns is indexed, so with
 * free space on the row's page PostgreSQL rewrites the row in place and touches no index. Applies
 * to pages written from now on; `VACUUM FULL` (or pg_repack) rewrites the existing ones.
 */
export class HotUpdates1764500000000 implements MigrationInterface {
  name = 'HotUpdates1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sessions SET (fillfactor = 85)`);
    await q.query(`ALTER TABLE session_surfaces SET (fillfactor = 85)`);
    await q.query(`ALTER TABLE refresh_tokens SET (fillfactor = 90)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sessions RESET (fillfactor)`);
    await q.query(`ALTER TABLE session_surfaces RESET (fillfactor)`);
    await q.query(`ALTER TABLE refresh_tokens RESET (fillfactor)`);
  }
}
