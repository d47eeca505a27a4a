export { loadConfig, ConfigError, DATABASE_POOL_DEFAULTS, type AppConfig } from './config';
export { ConfigModule, APP_CONFIG } from './config.module';
export { PASSWORD_HASHING_CONCURRENCY } from './thread-pool';
