import { DataSource, type DataSourceOptions } from 'typeorm';
import { DATABASE_POOL_DEFAULTS, type AppConfig } from '../config';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres';
import { SnakeNamingStrategy } from './naming-strategy';
import { boundedPg, queryGuardMs, type PoolSettings } from './pool';
import { ENTITIES, MIGRATIONS } from './schema';

export interface ResolvedDatabase {
  url: string;
  embedded: boolean;
  /**
   * The embedded server multiplexes every connection onto one backend session; extended-protocol
   * messages of concurrent connections can interleave there ("unnamed prepared statement does not
   * exist"). One connection keeps it correct, and PGlite runs one statement at a time anyway.
   */
  poolMax: number;
  stop(): Promise<void>;
}

/** DATABASE_URL when set; otherwise an embedded PostgreSQL (PGlite) kept under the data dir. */
export const EMBEDDED_POOL_MAX = 1;

export async function resolveDatabase(config: AppConfig): Promise<ResolvedDatabase> {
  if (config.databaseUrl)
    return {
      url: config.databaseUrl,
      embedded: false,
      poolMax: config.databasePoolMax,
      stop: async () => {},
    };
  const pg: EmbeddedPostgres = await startEmbeddedPostgres({
    dataDir: config.dataDir,
    maxConnections: EMBEDDED_POOL_MAX + 4,
  });
  return { url: pg.url, embedded: true, poolMax: EMBEDDED_POOL_MAX, stop: () => pg.stop() };
}

export function dataSourceOptions(
  url: string,
  pool: number | PoolSettings,
  onConnect?: (client: never) => void,
): DataSourceOptions {
  const p: PoolSettings =
    typeof pool === 'number' ? { ...DATABASE_POOL_DEFAULTS, max: pool } : pool;
  const serverTimeouts = [
    p.lockTimeoutMs > 0 ? `-c lock_timeout=${p.lockTimeoutMs}` : '',
    p.statementTimeoutMs > 0 ? `-c statement_timeout=${p.statementTimeoutMs}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: false, // run by migrateUnderLock, under an advisory lock
    synchronize: false,
    namingStrategy: new SnakeNamingStrategy(),
    logging: false,
    driver: boundedPg({
      maxWaiting: p.maxWaiting,
      budgetMs: p.acquireTimeoutMs,
      queryGuardMs: queryGuardMs(p.statementTimeoutMs),
    }),
    extra: {
      max: p.max,
      ...(onConnect ? { onConnect } : {}),
      // a request waits at most this long for a connection (or to open one), then fails with 503
      connectionTimeoutMillis: p.acquireTimeoutMs,
      idleTimeoutMillis: 30000,
      // losers of a row-lock race wait, but never forever; slow statements are cancelled
      ...(serverTimeouts && p.timeoutsAtStartup !== false ? { options: serverTimeouts } : {}),
    },
  };
}

export function createDataSource(url: string, poolMax: number): DataSource {
  return new DataSource(dataSourceOptions(url, poolMax));
}
