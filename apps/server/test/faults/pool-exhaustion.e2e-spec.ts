import { loadConfig } from '../../src/config';
import { eventually, send, type Reply } from '../support/harness';
import {
  clientCredentials,
  describeOnServer,
  expectTemporarilyUnavailable,
  introspect,
  useFaultServer,
} from './fixture';

const POOL_MAX = 2;
const MAX_WAITING = 3;
const BURST = 30;

describeOnServer('FT-03 connection-pool exhaustion', () => {
  const w = useFaultServer({
    reuseGraceSeconds: 10,
    users: 0,
    throughProxy: true,
    env: {
      DATABASE_POOL_MAX: String(POOL_MAX),
      DATABASE_POOL_MAX_WAITING: String(MAX_WAITING),
      DATABASE_POOL_ACQUIRE_TIMEOUT_MS: '1000',
    },
  });

  it('queues requests up to the bound, then answers 503 + Retry-After at once; none hangs on the pool', async () => {
    const token = (await clientCredentials(w.server)).body.access_token as string;
    expect((await introspect(w.server, token)).body.active).toBe(true);

    // the database stops answering: every connection the pool holds is stuck in a query
    w.proxy.stall();
    const answered: Reply[] = [];
    const failed: string[] = [];
    // introspection always reads the database (the deny list); client_credentials may not: the
    // client and its grants are cached, so the token endpoint can keep minting while it is stalled
    const burst = Array.from({ length: BURST }, () =>
      introspect(w.server, token).then(
        (r) => void answered.push(r),
        (err) => void failed.push(String(err)),
      ),
    );

    // everything but the requests holding a connection is answered while the database is stalled
    await eventually(
      () => expect(answered.length).toBeGreaterThanOrEqual(BURST - POOL_MAX),
      30_000,
    );
    const whileStalled = answered.length;
    expect(whileStalled).toBeLessThanOrEqual(BURST);
    for (const r of answered) expectTemporarilyUnavailable(r);
    // both ways out were taken: waiting up to the acquire timeout, and refused at once beyond the bound
    expect(w.server.output).toContain('too many requests are waiting');
    expect(w.server.output).toMatch(/timeout exceeded when trying to connect|connection timeout/);

    // the database answers again: the requests that held a connection finish, nothing is lost
    await w.proxy.restore();
    await Promise.all(burst);
    expect(failed).toEqual([]);
    expect(answered).toHaveLength(BURST);
    for (const r of answered.slice(whileStalled))
      if (r.status !== 200) expectTemporarilyUnavailable(r);
    expect(answered.filter((r) => r.status !== 200 && r.status !== 503)).toEqual([]);

    // and the server serves normally again, without a restart
    await eventually(async () => {
      expect((await send(`${w.server.url}/readyz`)).status).toBe(200);
    }, 30_000);
    for (let i = 0; i < 5; i++) {
      expect((await clientCredentials(w.server)).status).toBe(200);
      expect((await introspect(w.server, token)).body.active).toBe(true);
    }
    expect(w.server.output).not.toMatch(/unhandled error|"level":50/);
  });
});

describe('the pool settings', () => {
  it('default to a 5 s acquire timeout and 100 waiting requests', () => {
    expect(loadConfig({})).toMatchObject({
      databasePoolMax: 10,
      databaseAcquireTimeoutMs: 5000,
      databaseMaxWaiting: 100,
    });
  });

  it.each([
    [{ DATABASE_POOL_ACQUIRE_TIMEOUT_MS: '10' }, 'DATABASE_POOL_ACQUIRE_TIMEOUT_MS'],
    [{ DATABASE_POOL_ACQUIRE_TIMEOUT_MS: 'soon' }, 'DATABASE_POOL_ACQUIRE_TIMEOUT_MS'],
    [{ DATABASE_POOL_MAX_WAITING: '-1' }, 'DATABASE_POOL_MAX_WAITING'],
  ])('refuses %j naming %s', (env, name) => {
    expect(() => loadConfig(env)).toThrow(new RegExp(`^Invalid configuration:\\n  ${name}: `));
  });
});
