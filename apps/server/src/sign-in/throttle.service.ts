import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export interface ThrottleRule {
  /** Failures within the window that trigger a block. */
  limit: number;
  windowSeconds: number;
  blockSeconds: number;
}

/** Per account: a few tries, then a short lock (long locks would let anyone lock anyone out). */
export const ACCOUNT_RULE: ThrottleRule = { limit: 5, windowSeconds: 900, blockSeconds: 300 };
/** Per client address: more room (shared NATs), longer block. */
export const ADDRESS_RULE: ThrottleRule = { limit: 30, windowSeconds: 900, blockSeconds: 900 };

/** Failed-attempt counters in the database, so every instance sees the same ones. */
@Injectable()
export class ThrottleService {
  constructor(private readonly dataSource: DataSource) {}

  /** Seconds until the longest block among these keys ends; 0 when none is blocked. */
  async blockedFor(keys: string[]): Promise<number> {
    const rows: Array<{ wait: number }> = await this.dataSource.query(
      `SELECT ceil(extract(epoch FROM blocked_until - now()))::int AS wait FROM throttle_counters WHERE key = ANY($1) AND blocked_until > now()`,
      [keys],
    );
    return rows.reduce((m, r) => Math.max(m, Number(r.wait)), 0);
  }

  async fail(key: string, rule: ThrottleRule): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO throttle_counters AS c (key, failures, window_started_at, blocked_until)
       VALUES ($1, 1, now(), CASE WHEN $2::int <= 1 THEN now() + $4::int * interval '1 second' END)
       ON CONFLICT (key) DO UPDATE SET
         failures = CASE WHEN c.window_started_at < now() - $3::int * interval '1 second' THEN 1 ELSE c.failures + 1 END,
         window_started_at = CASE WHEN c.window_started_at < now() - $3::int * interval '1 second' THEN now() ELSE c.window_started_at END,
         blocked_until = CASE
           WHEN (CASE WHEN c.window_started_at < now() - $3::int * interval '1 second' THEN 1 ELSE c.failures + 1 END) >= $2::int
             THEN now() + $4::int * interval '1 second'
           ELSE c.blocked_until END`,
      [key, rule.limit, rule.windowSeconds, rule.blockSeconds],
    );
  }

  async reset(key: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM throttle_counters WHERE key = $1`, [key]);
  }
}
