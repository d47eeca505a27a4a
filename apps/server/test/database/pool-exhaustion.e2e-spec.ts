import { loadConfig } from '../../src/config';
import { eventually, send, type Reply } from '../support/harness';
import { sample } from '../support/metrics';
import {
  clientCredentials,
  describeOnServer,
  expectTemporarilyUnavailable,
  introspect,
  useFaultServer,
} from '../support/faults';

const POOL_MAX = 2;
const MAX_WAITING = 3;
const BURST = 30;
const DEADLINE_MS = 2000;

describeOnServer('FT-03 connection-pool exhaustion', () => {
  const w = useFaultServer({
    reuseGraceSeconds: 10,
    users: 0,
    throughProxy: true,
    env: {
      DATABASE_POOL_MAX: String(POOL_MAX),
      DATABASE_POOL_MAX_WAITING: String(MAX_WAITING),
      DATABASE_POOL_ACQUIRE_TIMEOUT_MS: '1000',
      TESSERA_REQUEST_DEADLINE_MS: String(DEADLINE_MS),
    },
  });

  it('queues requests up to the bound, then answers 503 + Retry-After at once; none hangs on the pool or on the stalled link', async () => {
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

    // every request is answered while the database is still stalled, the ones holding a
    // connection too: their statements get no answer, the request deadline answers for them
    await eventually(() => expect(answered.length).toBe(BURST), 30_000);
    for (const r of answered) expectTemporarilyUnavailable(r);
    // the three ways out were taken: refused at once beyond the bound, waiting up to the acquire
    // timeout, and answered at the deadline
    expect(w.server.output).toContain('too many requests are waiting');
    expect(w.server.output).toMatch(/timeout exceeded when trying to connect|connection timeout/);
    const metrics = (await send(`${w.server.url}/metrics`)).text;
    // at least one request held a connection whose statement hangs (the server's background work —
    // the outbox, the feed's poll — may hold the others; a connection opened after the stall never
    // connects and ends at the acquire timeout)
    expect(sample(metrics, 'tessera_request_deadline_exceeded_total')).toBeGreaterThan(0);
    expect(sample(metrics, 'tessera_db_pool_shed_total{reason="queue_full"}')).toBeGreaterThan(0);

    // the database answers again: the statements that were held finish (their answers are
    // dropped quietly, the clients have theirs), nothing is lost
    await w.proxy.restore();
    await Promise.all(burst);
    expect(failed).toEqual([]);
    expect(answered).toHaveLength(BURST);

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

  it('default to a 15 s statement timeout, a 5 s lock timeout and a 5 s request deadline', () => {
    expect(loadConfig({})).toMatchObject({
      databaseStatementTimeoutMs: 15_000,
      databaseLockTimeoutMs: 5000,
      requestDeadlineMs: 5000,
    });
    expect(
      loadConfig({ DATABASE_STATEMENT_TIMEOUT_MS: '0', DATABASE_LOCK_TIMEOUT_MS: '0' }),
    ).toMatchObject({ databaseStatementTimeoutMs: 0, databaseLockTimeoutMs: 0 });
  });

  it.each([
    [{ DATABASE_POOL_ACQUIRE_TIMEOUT_MS: '10' }, 'DATABASE_POOL_ACQUIRE_TIMEOUT_MS'],
    [{ DATABASE_POOL_ACQUIRE_TIMEOUT_MS: 'soon' }, 'DATABASE_POOL_ACQUIRE_TIMEOUT_MS'],
    [{ DATABASE_POOL_MAX_WAITING: '-1' }, 'DATABASE_POOL_MAX_WAITING'],
    [{ DATABASE_STATEMENT_TIMEOUT_MS: '-5' }, 'DATABASE_STATEMENT_TIMEOUT_MS'],
    [{ DATABASE_LOCK_TIMEOUT_MS: '5s' }, 'DATABASE_LOCK_TIMEOUT_MS'],
    [{ TESSERA_REQUEST_DEADLINE_MS: '0' }, 'TESSERA_REQUEST_DEADLINE_MS'],
  ])('refuses %j naming %s', (env, name) => {
    expect(() => loadConfig(env)).toThrow(new RegExp(`^Invalid configuration:\\n  ${name}: `));
  });
});

describeOnServer('FT-03 the admin API while the pool is exhausted', () => {
  const w = useFaultServer({
    reuseGraceSeconds: 10,
    users: 0,
    throughProxy: true,
    env: {
      DATABASE_POOL_MAX: String(POOL_MAX),
      DATABASE_POOL_ACQUIRE_TIMEOUT_MS: '500',
      TESSERA_REQUEST_DEADLINE_MS: '4000',
    },
  });

  it('answers a token whose key it cannot look up 503 + Retry-After, never 401; the same token is refused 401 once the database answers', async () => {
    const admin = await w.server.adminToken();
    const adminRead = (token: string) =>
      send(`${w.server.url}/admin/api/tenants`, { headers: { authorization: `Bearer ${token}` } });
    expect((await adminRead(admin)).status).toBe(200);
    // the same token under a key id this instance has never seen: it must ask the database
    const [header, ...rest] = admin.split('.');
    const unseenKid = Buffer.from(
      JSON.stringify({
        ...JSON.parse(Buffer.from(header, 'base64url').toString()),
        kid: 'a-key-id-never-seen',
      }),
    ).toString('base64url');
    const unseen = [unseenKid, ...rest].join('.');
    // wait past the instance's one-second pause between reloads for an unknown key id
    await new Promise((r) => setTimeout(r, 1100));

    // the database stops answering, and every connection is held by a statement that hangs
    w.proxy.stall();
    const holding = Array.from({ length: POOL_MAX }, () => introspect(w.server, admin));
    await new Promise((r) => setTimeout(r, 300));
    const during = await adminRead(unseen);
    expect(during.status).toBe(503);
    expect(during.headers.get('retry-after')).toMatch(/^\d+$/);
    await w.proxy.restore();
    await Promise.all(holding);

    // with the database back, the key id is known to be nobody's: a verdict, 401
    await eventually(async () => {
      expect((await send(`${w.server.url}/readyz`)).status).toBe(200);
    }, 30_000);
    await new Promise((r) => setTimeout(r, 1100));
    const after = await adminRead(unseen);
    expect(after.status).toBe(401);
    expect(after.headers.get('www-authenticate')).toMatch(/invalid_token/);
  });
});
