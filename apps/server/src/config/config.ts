import { resolve } from 'node:path';
import { z } from 'zod';

const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^-?\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
const days = z
  .string()
  .regex(/^\d+(\.\d+)?$/, 'must be a number of days, e.g. 30 or 0.5')
  .transform(Number)
  .pipe(z.number().max(100_000));
const flag = z.enum(['0', '1', 'true', 'false']).transform((v) => v === '1' || v === 'true');

/** Pool defaults (DATABASE_POOL_*); the database module uses them when given only a pool size. */
export const DATABASE_POOL_DEFAULTS = {
  acquireTimeoutMs: 5000,
  maxWaiting: 100,
  statementTimeoutMs: 15_000,
  lockTimeoutMs: 5000,
} as const;

const envSchema = z.object({
  PORT: int(0, 65535).default(3000),
  PUBLIC_URL: z.string().optional(),
  DATABASE_URL: z
    .string()
    .optional()
    .refine(
      (v) => !v || /^postgres(ql)?:\/\//.test(v),
      'must be a postgres:// or postgresql:// URL',
    ),
  DATABASE_DIRECT_URL: z
    .string()
    .optional()
    .refine(
      (v) => !v || /^postgres(ql)?:\/\//.test(v),
      'must be a postgres:// or postgresql:// URL',
    ),
  DATABASE_READ_URL: z
    .string()
    .optional()
    .refine(
      (v) => !v || /^postgres(ql)?:\/\//.test(v),
      'must be a postgres:// or postgresql:// URL',
    ),
  DATABASE_POOL_MAX: int(1, 200).default(10),
  DATABASE_POOL_ACQUIRE_TIMEOUT_MS: int(100, 600_000).default(
    DATABASE_POOL_DEFAULTS.acquireTimeoutMs,
  ),
  DATABASE_POOL_MAX_WAITING: int(0, 100_000).default(DATABASE_POOL_DEFAULTS.maxWaiting),
  DATABASE_STATEMENT_TIMEOUT_MS: int(0, 3_600_000).default(
    DATABASE_POOL_DEFAULTS.statementTimeoutMs,
  ),
  DATABASE_LOCK_TIMEOUT_MS: int(0, 3_600_000).default(DATABASE_POOL_DEFAULTS.lockTimeoutMs),
  TESSERA_REQUEST_DEADLINE_MS: int(100, 600_000).default(5000),
  REDIS_URL: z
    .string()
    .optional()
    .refine((v) => !v || /^rediss?:\/\//.test(v), 'must be a redis:// or rediss:// URL'),
  TESSERA_DATA_DIR: z.string().default('.data'),
  TESSERA_MASTER_KEY: z
    .string()
    .optional()
    .refine(
      (v) => !v || /^[A-Za-z0-9_-]{43}$/.test(v),
      'must be 32 random bytes, base64url-encoded (43 characters)',
    ),
  TESSERA_BOOTSTRAP: z.string().optional(),
  TESSERA_ADMIN_EMAIL: z.email().optional(),
  TESSERA_ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
  TESSERA_ALLOW_PRIVATE_URIS: flag.default(false),
  TESSERA_FEED_STREAMS_PER_CLIENT: int(1, 100_000).default(20),
  TESSERA_FEED_STREAMS_PER_INSTANCE: int(1, 1_000_000).default(1000),
  TESSERA_RETENTION_INTERVAL_SECONDS: int(0, 86_400).default(300),
  TESSERA_RETENTION_BATCH_SIZE: int(1, 100_000).default(1000),
  TESSERA_RETENTION_SESSION_HISTORY_DAYS: days.default(30),
  TESSERA_RETENTION_AUDIT_DAYS: days.default(400),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  CLOCK_OFFSET_MS: int(-86_400_000, 86_400_000).default(0),
  TESSERA_METRICS_TOKEN: z
    .string()
    .min(16, 'must be at least 16 characters')
    .regex(/^[A-Za-z0-9._~+/-]+=*$/, 'must be usable as a Bearer token (RFC 6750 §2.1 characters)')
    .optional(),
  NODE_ENV: z.string().optional(),
  TESSERA_REQUIRE_PAR: flag.default(false),
});

export interface AppConfig {
  port: number;
  /** Base of every URL the server issues or advertises; no trailing slash. */
  publicUrl: string;
  /** Unset: embedded PostgreSQL (PGlite) under dataDir. */
  databaseUrl?: string;
  /**
   * DATABASE_DIRECT_URL: set when DATABASE_URL names a transaction-mode pooler (PgBouncer); the
   * server itself, for what needs a session (the migration lock, LISTEN). Unset: DATABASE_URL.
   */
  databaseDirectUrl?: string;
  /**
   * DATABASE_READ_URL: a streaming replica for reads that may lag (discovery, JWKS, admin listings,
   * introspection), used only while it is caught up (see the database module's ReadRouter).
   */
  databaseReadUrl?: string;
  /** DATABASE_POOL_MAX (default 10): connections per instance (the embedded database uses 1). */
  databasePoolMax: number;
  /**
   * DATABASE_POOL_ACQUIRE_TIMEOUT_MS (default 5000): how long a request waits for a pooled
   * connection, or for a new one to open, before it is answered 503 + Retry-After.
   */
  databaseAcquireTimeoutMs: number;
  /**
   * DATABASE_POOL_MAX_WAITING (default 100): how many requests may wait for a connection at once;
   * beyond that they are answered 503 + Retry-After at once instead of queueing.
   */
  databaseMaxWaiting: number;
  /**
   * DATABASE_STATEMENT_TIMEOUT_MS (default 15000, 0 = none): the server cancels a longer statement
   * (57014, answered 503); one second later the client closes a connection that still has no
   * answer (a stalled link).
   */
  databaseStatementTimeoutMs: number;
  /** DATABASE_LOCK_TIMEOUT_MS (default 5000, 0 = none): a statement waits this long for a row lock. */
  databaseLockTimeoutMs: number;
  /**
   * TESSERA_REQUEST_DEADLINE_MS (default 5000): a request not answered by then is answered 503 +
   * Retry-After (its work may still finish); a request that could not get a database connection in
   * that time is refused at once (load shedding).
   */
  requestDeadlineMs: number;
  /** Set: rate-limit counters live in Redis; unset: in the database. */
  redisUrl?: string;
  dataDir: string;
  masterKey?: string;
  bootstrapFile?: string;
  adminEmail?: string;
  adminPassword?: string;
  allowPrivateUris: boolean;
  /**
   * TESSERA_FEED_STREAMS_PER_CLIENT (default 20): live revocation feed streams one caller (a
   * resource server or an application) may hold open on an instance; beyond, 429 + Retry-After.
   */
  feedStreamsPerClient: number;
  /** TESSERA_FEED_STREAMS_PER_INSTANCE (default 1000): live feed streams an instance holds open. */
  feedStreamsPerInstance: number;
  /** The retention job (docs/operations.md §4, Retention). */
  retention: {
    /** TESSERA_RETENTION_INTERVAL_SECONDS (default 300): between runs; 0: never on a timer. */
    intervalSeconds: number;
    /** TESSERA_RETENTION_BATCH_SIZE (default 1000): rows one batch (one short transaction) deletes. */
    batchSize: number;
    /** TESSERA_RETENTION_SESSION_HISTORY_DAYS (default 30): how long an ended session is kept. */
    sessionHistoryDays: number;
    /** TESSERA_RETENTION_AUDIT_DAYS (default 400): how long audit rows are kept; 0: forever. */
    auditDays: number;
  };
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /**
   * CLOCK_OFFSET_MS: shifts this instance's clock, to test skew between instances. Refused unless
   * NODE_ENV=test, so a production deployment cannot run with a shifted clock by accident.
   */
  clockOffsetMs: number;
  /** Set: GET /metrics requires `Authorization: Bearer <this>`; unset: it is open (docs/operations.md). */
  metricsToken?: string;
  /**
   * TESSERA_REQUIRE_PAR (default 0): `1` accepts authorization requests only by request_uri from a
   * pushed request (RFC 9126), for every client; discovery then says require_pushed_authorization_requests.
   */
  requirePar: boolean;
}

export class ConfigError extends Error {}

/** Reads and validates the environment once; a bad value names its variable. */
export function loadConfig(env: NodeJS.ProcessEnv): AppConfig {
  // an empty variable (FOO=) means unset, as in most shells' and compose files' defaults
  const present = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v !== ''),
  );
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const e = parsed.data;
  if (e.CLOCK_OFFSET_MS !== 0 && e.NODE_ENV !== 'test')
    throw new ConfigError(
      'Invalid configuration:\n  CLOCK_OFFSET_MS: only for tests (NODE_ENV=test); unset it',
    );
  for (const name of ['DATABASE_DIRECT_URL', 'DATABASE_READ_URL'] as const)
    if (e[name] && !e.DATABASE_URL)
      throw new ConfigError(
        `Invalid configuration:\n  ${name}: only with DATABASE_URL (the primary); set it or unset this`,
      );
  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(publicUrl);
  } catch {
    throw new ConfigError('Invalid configuration:\n  PUBLIC_URL: must be an absolute http(s) URL');
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash) {
    throw new ConfigError(
      'Invalid configuration:\n  PUBLIC_URL: must be an absolute http(s) URL without query or fragment',
    );
  }
  return Object.freeze({
    port: e.PORT,
    publicUrl,
    databaseUrl: e.DATABASE_URL || undefined,
    databaseDirectUrl: e.DATABASE_DIRECT_URL,
    databaseReadUrl: e.DATABASE_READ_URL,
    databasePoolMax: e.DATABASE_POOL_MAX,
    databaseAcquireTimeoutMs: e.DATABASE_POOL_ACQUIRE_TIMEOUT_MS,
    databaseMaxWaiting: e.DATABASE_POOL_MAX_WAITING,
    databaseStatementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT_MS,
    databaseLockTimeoutMs: e.DATABASE_LOCK_TIMEOUT_MS,
    requestDeadlineMs: e.TESSERA_REQUEST_DEADLINE_MS,
    redisUrl: e.REDIS_URL,
    dataDir: resolve(e.TESSERA_DATA_DIR),
    masterKey: e.TESSERA_MASTER_KEY,
    bootstrapFile: e.TESSERA_BOOTSTRAP ? resolve(e.TESSERA_BOOTSTRAP) : undefined,
    adminEmail: e.TESSERA_ADMIN_EMAIL,
    adminPassword: e.TESSERA_ADMIN_PASSWORD,
    allowPrivateUris: e.TESSERA_ALLOW_PRIVATE_URIS,
    feedStreamsPerClient: e.TESSERA_FEED_STREAMS_PER_CLIENT,
    feedStreamsPerInstance: e.TESSERA_FEED_STREAMS_PER_INSTANCE,
    retention: Object.freeze({
      intervalSeconds: e.TESSERA_RETENTION_INTERVAL_SECONDS,
      batchSize: e.TESSERA_RETENTION_BATCH_SIZE,
      sessionHistoryDays: e.TESSERA_RETENTION_SESSION_HISTORY_DAYS,
      auditDays: e.TESSERA_RETENTION_AUDIT_DAYS,
    }),
    logLevel: e.LOG_LEVEL,
    clockOffsetMs: e.CLOCK_OFFSET_MS,
    metricsToken: e.TESSERA_METRICS_TOKEN,
    requirePar: e.TESSERA_REQUIRE_PAR,
  });
}
