import { MigrationExecutor, type DataSource } from 'typeorm';

// Any constant shared by every instance; pg_advisory_lock takes a bigint.
const MIGRATION_LOCK_KEY = 7_238_016_452;

/**
 * Runs pending migrations while holding a session advisory lock, so that of several instances
 * starting together one migrates and the others wait, then find nothing to do. Lock and
 * migrations share one connection, so this works with a pool of one.
 */
export async function migrateUnderLock(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      const executor = new MigrationExecutor(dataSource, runner);
      executor.transaction = 'each';
      const ran = await executor.executePendingMigrations();
      return ran.map((m) => m.name);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
  }
}
