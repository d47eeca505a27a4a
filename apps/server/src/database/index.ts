export {
  NotifyBus,
  REVOCATIONS_CHANNEL,
  OUTBOX_CHANNEL,
  CONFIG_CHANNEL,
  KEYS_CHANNEL,
} from './notify-bus';
export { ConfigCache, configChanged } from './config-cache';
export { SharedLoads } from './shared-load';
export {
  EMBEDDED_POOL_MAX,
  resolveDatabase,
  createDataSource,
  dataSourceOptions,
  missingSessionTimeouts,
  type Entities,
  type ResolvedDatabase,
} from './database';
export {
  PoolQueueFullError,
  QueryStalledError,
  type BoundedPoolState,
  type PoolSettings,
  type ShedReason,
} from './pool';
export { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres';
export { migrateUnderLock } from './migrate';
export { MIGRATIONS } from './migrations';
export {
  isUniqueViolation,
  isUnavailable,
  isInvalidInput,
  isConflict,
  retryOnConflict,
} from './errors';
export { hotQuery, namedStatementsAllowed } from './hot-query';
export { sql, run, selectList, Params, type Statement } from './sql';
export { ReadRouter, REPLICA_MAX_LAG_MS } from './read-router';
