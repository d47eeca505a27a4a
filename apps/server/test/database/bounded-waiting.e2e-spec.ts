import { DataSource, type QueryRunner } from 'typeorm';
import {
  dataSourceOptions,
  isUnavailable,
  type BoundedPoolState,
  type PoolSettings,
} from '../../src/database';
import { expectedWaitMs, queryGuardMs } from '../../src/database/pool';
import {
  createTestDatabase,
  isServerMode,
  type TestDatabase,
} from '../../../../test-setup/test-database';
import { eventually } from '../support/harness';
import { PgProxy } from '../support/processes';

const SETTINGS: PoolSettings = {
  max: 1,
  acquireTimeoutMs: 2000,
  maxWaiting: 10,
  statementTimeoutMs: 300,
  lockTimeoutMs: 0,
};
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The pool's own state (the pg Pool behind TypeORM's driver). */
const poolOf = (ds: DataSource) =>
  (ds.driver as unknown as { master: BoundedPoolState & { totalCount: number } }).master;

async function settle<T>(p: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  try {
    return { value: await p };
  } catch (error) {
    return { error };
  }
}

describe('bounded waiting on the database pool', () => {
  let db: TestDatabase;
  let proxy: PgProxy;
  let ds: DataSource;
  beforeAll(async () => {
    db = await createTestDatabase();
    proxy = await PgProxy.start(db.url);
    ds = await new DataSource(dataSourceOptions(proxy.through(db.url), SETTINGS)).initialize();
  });
  afterAll(async () => {
    await proxy?.restore();
    await ds?.destroy();
    await proxy?.stop();
    await db?.drop();
  });

  it('fails a statement whose answer never comes, closes its connection, and serves again once the link is back', async () => {
    expect(await ds.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    proxy.stall();
    const stalled = await settle(ds.query('SELECT 2 AS two'));
    // the guard, not the server, ended it: nothing got through the link
    expect(stalled.error).toMatchObject({ code: 'EQUERYSTALLED' });
    expect(isUnavailable(stalled.error)).toBe(true);
    // the connection that carried it is gone, so its late answer can reach no one
    await eventually(() => expect(poolOf(ds).totalCount).toBe(0));
    await proxy.restore();
    expect(await ds.query('SELECT 3 AS three')).toEqual([{ three: 3 }]);
  });

  it('refuses at once a request whose expected wait outlasts what it may wait, and queues the others', async () => {
    const settings = { ...SETTINGS, maxWaiting: 100 };
    const ds = await new DataSource(dataSourceOptions(db.url, settings)).initialize();
    try {
      // one connection held 1.2 s teaches the pool that requests hold it a while
      const first = ds.createQueryRunner();
      await first.connect();
      await pause(1200);
      await first.release();
      const learned = poolOf(ds).holdEwmaMs;
      expect(learned).toBeGreaterThan(100);
      // the k-th waiter expects k hold times per connection: this many fit in the 2 s budget
      const fit = Math.floor((settings.acquireTimeoutMs * settings.max) / learned);
      expect(fit).toBeLessThan(settings.maxWaiting); // the deadline bound, not the queue bound

      const holder: QueryRunner = ds.createQueryRunner();
      await holder.connect();
      const before = { ...poolOf(ds).shed };
      const queued = Array.from({ length: fit }, (_, i) =>
        settle(ds.query('SELECT $1::int AS n', [i])),
      );
      // the next one would wait longer than it may: refused now, not after 2 s of waiting for nothing
      const shed = await settle(ds.query('SELECT -1 AS n'));
      expect(shed.error).toMatchObject({ code: 'EPOOLFULL', reason: 'deadline' });
      expect(isUnavailable(shed.error)).toBe(true);
      expect(poolOf(ds).shed).toEqual({ ...before, deadline: before.deadline + 1 });
      expect(expectedWaitMs(learned, fit, settings.max)).toBeGreaterThan(settings.acquireTimeoutMs);

      // every waiter that fitted is served once the connection comes back
      await holder.release();
      expect(await Promise.all(queued)).toEqual(
        Array.from({ length: fit }, (_, i) => ({ value: [{ n: i }] })),
      );
    } finally {
      await ds.destroy();
    }
  });
});

describe('the bounded-waiting arithmetic', () => {
  it('expects a wait of one hold time per round of max connections ahead of the request', () => {
    expect(expectedWaitMs(100, 0, 10)).toBe(10);
    expect(expectedWaitMs(100, 99, 10)).toBe(1000);
    expect(expectedWaitMs(0, 1000, 10)).toBe(0); // nothing learned yet: never shed on a guess
  });

  it('guards a statement one second beyond the server’s own timeout, and not at all without one', () => {
    expect(queryGuardMs(15_000)).toBe(16_000);
    expect(queryGuardMs(0)).toBe(0);
  });
});

if (isServerMode())
  describe('the server-side timeouts', () => {
    it('cancel a statement that runs past DATABASE_STATEMENT_TIMEOUT_MS (57014, answered 503)', async () => {
      const db = await createTestDatabase();
      const ds = await new DataSource(
        dataSourceOptions(db.url, { ...SETTINGS, lockTimeoutMs: 250 }),
      ).initialize();
      try {
        const [settings] = await ds.query(
          `SELECT current_setting('statement_timeout') AS statement, current_setting('lock_timeout') AS lock`,
        );
        expect(settings).toEqual({ statement: '300ms', lock: '250ms' });
        const slow = await settle(ds.query('SELECT pg_sleep(5)'));
        expect(slow.error).toMatchObject({ driverError: { code: '57014' } });
        expect(isUnavailable(slow.error)).toBe(true);
        // the server ended it, so the connection stays in the pool and keeps serving
        expect(await ds.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
      } finally {
        await ds.destroy();
        await db.drop();
      }
    });

    it('are left out of the startup packet for a transaction-mode pooler', async () => {
      const options = dataSourceOptions('postgres://x@127.0.0.1/x', {
        ...SETTINGS,
        timeoutsAtStartup: false,
      });
      expect((options as { extra: Record<string, unknown> }).extra.options).toBeUndefined();
      expect(
        (dataSourceOptions('postgres://x@127.0.0.1/x', SETTINGS) as { extra: { options: string } })
          .extra.options,
      ).toBe('-c statement_timeout=300');
    });
  });
