import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import type { DataSource } from 'typeorm';

/** How a key is counted: `limit` hits in `windowSeconds`; the hit that reaches it blocks the key. */
export interface CounterRule {
  limit: number;
  windowSeconds: number;
  /** How long the block lasts; unset: until the window ends. */
  blockSeconds?: number;
}

export interface Hit {
  /** Hits in the current window, this one included. */
  count: number;
  /** Seconds until the key's block ends; 0 when it is not blocked. */
  wait: number;
}

/** Where counters live: the database by default, Redis when REDIS_URL is set. */
export abstract class RateLimitStore {
  /** Counts `n` hits (default one), atomically, in one round trip. */
  abstract hit(key: string, rule: CounterRule, n?: number): Promise<Hit>;
  /** Seconds until the longest block among these keys ends; 0 when none is blocked. */
  abstract blockedFor(keys: string[]): Promise<number>;
  abstract reset(key: string): Promise<void>;
}

/** Fixed windows in `rate_limit_counters`, one upsert per hit; the database clock decides. */
export class PgRateLimitStore extends RateLimitStore {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async hit(key: string, rule: CounterRule, n = 1): Promise<Hit> {
    // $3 window, $4 block (NULL: until the window ends); "fresh" = the stored window is over
    const fresh = `c.window_started_at <= now() - $3::int * interval '1 second'`;
    const rows: Array<{ count: number; wait: number }> = await this.dataSource.query(
      `INSERT INTO rate_limit_counters AS c (key, hits, window_started_at, blocked_until)
       VALUES ($1, $5::int, now(), CASE WHEN $5::int >= $2::int
         THEN now() + coalesce($4::int, $3::int) * interval '1 second' END)
       ON CONFLICT (key) DO UPDATE SET
         hits = CASE WHEN ${fresh} THEN $5::int ELSE c.hits + $5::int END,
         window_started_at = CASE WHEN ${fresh} THEN now() ELSE c.window_started_at END,
         blocked_until = CASE
           WHEN (CASE WHEN ${fresh} THEN $5::int ELSE c.hits + $5::int END) >= $2::int
             THEN greatest(c.blocked_until, CASE
               WHEN $4::int IS NOT NULL THEN now() + $4::int * interval '1 second'
               WHEN ${fresh} THEN now() + $3::int * interval '1 second'
               ELSE c.window_started_at + $3::int * interval '1 second' END)
           ELSE c.blocked_until END
       RETURNING hits AS count,
         greatest(0, ceil(extract(epoch FROM blocked_until - now())))::int AS wait`,
      [key, rule.limit, rule.windowSeconds, rule.blockSeconds ?? null, n],
    );
    return { count: Number(rows[0].count), wait: Number(rows[0].wait ?? 0) };
  }

  async blockedFor(keys: string[]): Promise<number> {
    const rows: Array<{ wait: number | null }> = await this.dataSource.query(
      `SELECT max(ceil(extract(epoch FROM blocked_until - now())))::int AS wait
       FROM rate_limit_counters WHERE key = ANY($1) AND blocked_until > now()`,
      [keys],
    );
    return Number(rows[0]?.wait ?? 0);
  }

  async reset(key: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM rate_limit_counters WHERE key = $1`, [key]);
  }
}

// KEYS: counter, block. ARGV: window ms, limit, block ms (0: until the window ends), hits.
const HIT_SCRIPT = `
local n = redis.call('INCRBY', KEYS[1], ARGV[4])
if n == tonumber(ARGV[4]) then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
if n >= tonumber(ARGV[2]) then
  local ms = tonumber(ARGV[3])
  if ms <= 0 then ms = redis.call('PTTL', KEYS[1]) end
  if ms > 0 and redis.call('PTTL', KEYS[2]) < ms then redis.call('SET', KEYS[2], '1', 'PX', ms) end
end
return {n, redis.call('PTTL', KEYS[2])}`;

/**
 * The same counters in Redis (one Lua script per hit, Redis's clock). When Redis cannot answer,
 * requests are let through and a warning is logged: a limiter must not take the service down.
 */
export class RedisRateLimitStore extends RateLimitStore implements OnApplicationShutdown {
  private readonly redis: Redis;
  private readonly logger = new Logger('RateLimit');
  private lastWarning = 0;

  constructor(url: string) {
    super();
    this.redis = new Redis(url, {
      lazyConnect: false,
      enableOfflineQueue: false, // fail fast while disconnected, never queue requests behind it
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
    });
    this.redis.on('error', (err: Error) => this.warn(err));
  }

  private warn(err: unknown) {
    if (Date.now() - this.lastWarning < 10_000) return;
    this.lastWarning = Date.now();
    this.logger.warn(
      `Redis unavailable for rate limits, not limiting: ${(err as Error)?.message?.slice(0, 200)}`,
    );
  }

  private static k(key: string) {
    return { counter: `tessera:rl:{${key}}`, block: `tessera:rl:{${key}}:block` };
  }

  async hit(key: string, rule: CounterRule, n = 1): Promise<Hit> {
    const k = RedisRateLimitStore.k(key);
    try {
      const [count, pttl] = (await this.redis.eval(
        HIT_SCRIPT,
        2,
        k.counter,
        k.block,
        rule.windowSeconds * 1000,
        rule.limit,
        (rule.blockSeconds ?? 0) * 1000,
        n,
      )) as [number, number];
      return { count, wait: pttl > 0 ? Math.ceil(pttl / 1000) : 0 };
    } catch (err) {
      this.warn(err);
      return { count: 0, wait: 0 };
    }
  }

  async blockedFor(keys: string[]): Promise<number> {
    try {
      const ttls = await Promise.all(
        keys.map((key) => this.redis.pttl(RedisRateLimitStore.k(key).block)),
      );
      return Math.max(0, ...ttls.map((ms) => (ms > 0 ? Math.ceil(ms / 1000) : 0)));
    } catch (err) {
      this.warn(err);
      return 0;
    }
  }

  async reset(key: string): Promise<void> {
    const k = RedisRateLimitStore.k(key);
    try {
      await this.redis.del(k.counter, k.block);
    } catch (err) {
      this.warn(err);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
