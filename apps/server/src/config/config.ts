import { resolve } from 'node:path';
import { z } from 'zod';

const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^-?\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
const flag = z.enum(['0', '1', 'true', 'false']).transform((v) => v === '1' || v === 'true');

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
  DATABASE_POOL_MAX: int(1, 200).default(10),
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
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  CLOCK_OFFSET_MS: int(-86_400_000, 86_400_000).default(0),
});

export interface AppConfig {
  port: number;
  /** Base of every URL the server issues or advertises; no trailing slash. */
  publicUrl: string;
  /** Unset: embedded PostgreSQL (PGlite) under dataDir. */
  databaseUrl?: string;
  databasePoolMax: number;
  /** Set: rate-limit counters live in Redis; unset: in the database. */
  redisUrl?: string;
  dataDir: string;
  masterKey?: string;
  bootstrapFile?: string;
  adminEmail?: string;
  adminPassword?: string;
  allowPrivateUris: boolean;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Test builds only: shifts this instance's clock, to test skew between instances. */
  clockOffsetMs: number;
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
    databasePoolMax: e.DATABASE_POOL_MAX,
    redisUrl: e.REDIS_URL,
    dataDir: resolve(e.TESSERA_DATA_DIR),
    masterKey: e.TESSERA_MASTER_KEY,
    bootstrapFile: e.TESSERA_BOOTSTRAP ? resolve(e.TESSERA_BOOTSTRAP) : undefined,
    adminEmail: e.TESSERA_ADMIN_EMAIL,
    adminPassword: e.TESSERA_ADMIN_PASSWORD,
    allowPrivateUris: e.TESSERA_ALLOW_PRIVATE_URIS,
    logLevel: e.LOG_LEVEL,
    clockOffsetMs: e.CLOCK_OFFSET_MS,
  });
}
