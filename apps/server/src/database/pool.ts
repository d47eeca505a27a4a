import pg from 'pg';

/** How requests share the connections: see DATABASE_POOL_* and DATABASE_*_TIMEOUT_MS in the config module. */
export interface PoolSettings {
  max: number;
  /**
   * A request waits at most this long for a connection, then fails (503); the server passes the
   * smaller of DATABASE_POOL_ACQUIRE_TIMEOUT_MS and the request deadline. It is also the budget
   * that shedding compares the expected wait with.
   */
  acquireTimeoutMs: number;
  /** At most this many requests wait for a connection; the next one fails at once (503). */
  maxWaiting: number;
  /** The server cancels a statement running longer than this (0: no limit). */
  statementTimeoutMs: number;
  /** The server cancels a statement waiting longer than this for a lock (0: no limit). */
  lockTimeoutMs: number;
  /**
   * true (the default): the two timeouts above are set for each connection's session in its
   * startup packet (`options=-c …`), where the server enforces them. A transaction-mode pooler
   * (PgBouncer) refuses or drops startup options, and a session SET there would leak to whichever
   * client gets that server connection next; a pool built for a pooler passes false and the
   * timeouts are set on the database role instead (docs/operations.md). The query guard below
   * bounds every statement either way.
   */
  timeoutsAtStartup?: boolean;
}

/** Why a request was refused a connection, counted in tessera_db_pool_shed_total. */
export type ShedReason = 'queue_full' | 'deadline';

/** The pool cannot serve this request in time: answered 503 + Retry-After at once. */
export class PoolQueueFullError extends Error {
  readonly code = 'EPOOLFULL';
  constructor(readonly reason: ShedReason = 'queue_full') {
    super(
      reason === 'queue_full'
        ? 'The database connection pool is busy: too many requests are waiting'
        : 'The database connection pool is busy: the wait for a connection would outlast the request deadline',
    );
  }
}

/**
 * A statement got no answer within the query guard (a stalled link, a pooler queue, a server that
 * no longer answers): its connection is closed, so it cannot hand a late answer to the next user.
 */
export class QueryStalledError extends Error {
  readonly code = 'EQUERYSTALLED';
  constructor(ms: number) {
    super(`The database did not answer a statement within ${ms} ms; the connection was closed`);
  }
}

/**
 * The client-side bound on one statement: the server's statement_timeout plus a second, so that
 * where the server enforces its own limit its error (57014) arrives first and the connection
 * stays usable. Without a statement timeout, no guard.
 */
export function queryGuardMs(statementTimeoutMs: number): number {
  return statementTimeoutMs > 0 ? statementTimeoutMs + 1000 : 0;
}

/**
 * Load shedding: how long a request arriving now would wait for a connection, estimated from the
 * recent mean time a request holds one (an EWMA) and how many wait before it: `max` connections
 * free up about `max` waiters per hold time. A request whose expected wait exceeds what it may
 * wait is refused at once instead of failing at the end of it, having held a queue place all along.
 */
export function expectedWaitMs(holdEwmaMs: number, waiting: number, max: number): number {
  return (holdEwmaMs * (waiting + 1)) / max;
}

/** Weight of the newest hold time in the EWMA: about the last 20 checkouts count. */
const HOLD_EWMA_ALPHA = 0.1;

export interface BoundedPoolState {
  /** Requests refused a connection, by reason, since the start (tessera_db_pool_shed_total). */
  readonly shed: Record<ShedReason, number>;
  /** Recent mean time a connection is held, in ms (tessera_db_pool_hold_ewma_seconds). */
  readonly holdEwmaMs: number;
}

/**
 * pg with a Pool whose wait queue is bounded twice (pg-pool itself queues without limit, each
 * waiter timing out only after connectionTimeoutMillis, so a burst would pile up instead of failing
 * fast): at most `maxWaiting` waiters, and no waiter expected to outlast `budgetMs`. Its clients
 * carry the query guard.
 */
export function boundedPg(o: {
  maxWaiting: number;
  budgetMs: number;
  queryGuardMs: number;
}): typeof pg {
  const guardMs = o.queryGuardMs;

  class GuardedClient extends pg.Client {
    // pg's own query_timeout answers the caller but leaves the statement on the connection, whose
    // late answer would then go to the next query: here the connection is closed instead
    override query(...args: unknown[]): never {
      const run = super.query as (...a: unknown[]) => unknown;
      if (!guardMs) return run.apply(this, args) as never;
      const self = this as unknown as { connection?: { stream?: { destroy(e: Error): void } } };
      const timer = setTimeout(
        () => self.connection?.stream?.destroy(new QueryStalledError(guardMs)),
        guardMs,
      );
      timer.unref();
      const done = () => clearTimeout(timer);
      const last = args.length - 1;
      const cb = args[last];
      if (typeof cb === 'function')
        args[last] = (...r: unknown[]) => {
          done();
          (cb as (...a: unknown[]) => void)(...r);
        };
      let result: unknown;
      try {
        result = run.apply(this, args);
      } catch (err) {
        done();
        throw err;
      }
      if (result && typeof (result as Promise<unknown>).then === 'function')
        (result as Promise<unknown>).then(done, done);
      return result as never;
    }
  }

  class BoundedPool extends pg.Pool implements BoundedPoolState {
    readonly shed: Record<ShedReason, number> = { queue_full: 0, deadline: 0 };
    holdEwmaMs = 0;
    private readonly acquiredAt = new WeakMap<object, number>();

    constructor(options?: pg.PoolConfig) {
      super({ ...options, Client: GuardedClient });
      this.on('acquire', (client) => this.acquiredAt.set(client, performance.now()));
      this.on('release', (_err: Error | undefined, client: object) => {
        const since = this.acquiredAt.get(client);
        if (since === undefined) return;
        const hold = performance.now() - since;
        this.holdEwmaMs = this.holdEwmaMs
          ? this.holdEwmaMs + HOLD_EWMA_ALPHA * (hold - this.holdEwmaMs)
          : hold;
      });
    }

    override connect(...args: unknown[]): never {
      const max = this.options.max ?? 10;
      const mustWait = this.idleCount === 0 && this.totalCount >= max;
      const reason: ShedReason | undefined = !mustWait
        ? undefined
        : this.waitingCount >= o.maxWaiting
          ? 'queue_full'
          : expectedWaitMs(this.holdEwmaMs, this.waitingCount, max) > o.budgetMs
            ? 'deadline'
            : undefined;
      if (reason) {
        this.shed[reason]++;
        const err = new PoolQueueFullError(reason);
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
