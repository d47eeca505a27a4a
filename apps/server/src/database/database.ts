import { DataSource, type DataSourceOptions } from 'typeorm';
import { DATABASE_POOL_DEFAULTS, type AppConfig } from '../config';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres';
import { SnakeNamingStrategy } from './naming-strategy';
import { boundedPg, queryGuardMs, type PoolSettings } from './pool';
import { MIGRATIONS } from './migrations';

export interface ResolvedDatabase {
  /** Where the pool connects: the server, or a transaction-mode pooler in front of it. */
  url: string;
  /**
   * The server itself, for what needs a session: the migration lock and LISTEN. DATABASE_DIRECT_URL
   * when set (then `url` is a pooler, `isPooled`), otherwise `url`.
   */
  sessionUrl: string;
  /**
   * `url` names a transaction-mode pooler: consecutive statements may run on different server
   * sessions, so no named prepared statement, no session SET, no session lock through it.
   */
  isPooled: boolean;
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
      sessionUrl: config.databaseDirectUrl ?? config.databaseUrl,
      isPooled: !!config.databaseDirectUrl,
      embedded: false,
      poolMax: config.databasePoolMax,
      stop: async () => {},
    };
  const pg: EmbeddedPostgres = await startEmbeddedPostgres({
    dataDir: config.dataDir,
    maxConnections: EMBEDDED_POOL_MAX + 4,
  });
  return {
    url: pg.url,
    sessionUrl: pg.url,
    isPooled: false,
    embedded: true,
    poolMax: EMBEDDED_POOL_MAX,
    stop: () => pg.stop(),
  };
}

/**
 * The timeouts every session gets. A transaction-mode pooler (PgBouncer before 1.20) refuses the
 * `options` startup parameter, and a SET through it would leak into other clients' transactions:
 * behind one they are the server's to set (`ALTER ROLE … SET`, or the pooler's `connect_query`), and
 * `checkSessionTimeouts` warns at start when they are missing.
 */
/** The session settings that bound waiting (DATABASE_LOCK_TIMEOUT_MS, DATABASE_STATEMENT_TIMEOUT_MS). */
export const SESSION_TIMEOUTS = ['lock_timeout', 'statement_timeout'] as const;

/**
 * The tables are the features' own: each module lists its entities and the composition root
 * (src/entities.ts) hands them over, so this kit imports no feature. A data source that only runs
 * migrations needs none (they are SQL).
 */
export type Entities = NonNullable<DataSourceOptions['entities']>;

export function dataSourceOptions(
  url: string,
  pool: number | PoolSettings,
  onConnect?: (client: never) => void,
  o: { isPooled?: boolean; entities?: Entities } = {},
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
    entities: o.entities ?? [],
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
      // (a transaction-mode pooler refuses startup options: there the server's role settings hold them)
      ...(serverTimeouts && p.timeoutsAtStartup !== false && !o.isPooled
        ? { options: serverTimeouts }
        : {}),
    },
  };
}

export function createDataSource(url: string, poolMax: number, entities?: Entities): DataSource {
  return new DataSource(dataSourceOptions(url, poolMax, undefined, { entities }));
}

/**
 * Through a pooler the session timeouts come from the server's settings: says which are missing (0,
 * no limit), so start-up can warn. Empty when they are set, or when this is not a pooler.
 */
export async function missingSessionTimeouts(dataSource: DataSource): Promise<string[]> {
  const missing: string[] = [];
  for (const name of SESSION_TIMEOUTS) {
    const rows: Array<{ value: string }> = await dataSource.query(
      `SELECT current_setting($1) AS value`,
      [name],
    );
    if (rows[0]?.value === '0') missing.push(name);
  }
  return missing;
}
