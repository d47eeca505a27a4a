import pg from 'pg';

/** How requests share the connections: see DATABASE_POOL_* in the config module. */
export interface PoolSettings {
  max: number;
  /** A request waits at most this long for a connection, then fails (503). */
  acquireTimeoutMs: number;
  /** At most this many requests wait for a connection; the next one fails at once (503). */
  maxWaiting: number;
}

/** The pool's wait queue is full: answered 503 at once rather than queued without bound. */
export class PoolQueueFullError extends Error {
  readonly code = 'EPOOLFULL';
  constructor() {
    super('The database connection pool is busy: too many requests are waiting');
  }
}

/**
 * pg with a Pool whose wait queue is bounded; pg-pool itself queues without limit (each waiter only
 * times out after connectionTimeoutMillis), so a burst would pile up instead of failing fast.
 */
export function boundedPg(maxWaiting: number): typeof pg {
  class BoundedPool extends pg.Pool {
    override connect(...args: unknown[]): never {
      const mustWait = this.idleCount === 0 && this.totalCount >= (this.options.max ?? 10);
      if (mustWait && this.waitingCount >= maxWaiting) {
        const err = new PoolQueueFullError();
        const cb = args[0] as ((e: Error) => void) | undefined;
        if (typeof cb === 'function') {
          process.nextTick(() => cb(err));
          return undefined as never;
        }
        return Promise.reject(err) as never;
      }
      return (super.connect as (...a: unknown[]) => never)(...args);
    }
  }
  return Object.create(pg, { Pool: { value: BoundedPool, enumerable: true } }) as typeof pg;
}
