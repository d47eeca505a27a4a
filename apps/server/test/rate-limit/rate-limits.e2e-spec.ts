import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { formOf } from '../support/browser';
import {
  Browser,
  claims,
  eventually,
  freePort,
  startTestServer,
  useTestServer,
  type StartedTestServer,
  type TestServer,
} from '../support/harness';
import { CB, expectClean, world, type World } from '../support/world';

const REDIS_URL = 'redis://127.0.0.1:6379';

/** 429, Retry-After within the window, RFC 6749 JSON, nothing issued. */
function expectTooMany(
  res: { status: number; headers: Headers; body: any; text: string },
  windowSeconds: number,
) {
  expect(res.status).toBe(429);
  expect(res.body).toEqual({
    error: 'temporarily_unavailable',
    error_description: expect.any(String),
  });
  const wait = Number(res.headers.get('retry-after'));
  expect(wait).toBeGreaterThanOrEqual(1);
  expect(wait).toBeLessThanOrEqual(windowSeconds);
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(res.text).not.toContain('access_token');
  expectClean({ ...res, status: 429 } as never);
}

const limited = (token: number, introspection = 1000) => ({
  rateLimits: {
    token: { limit: token, window: '1m' },
    introspection: { limit: introspection, window: '1m' },
  },
});

async function signInAttempt(t: TestServer, w: World, email: string, password: string, ip: string) {
  const b = new Browser();
  const page = await b.get(
    `${w.issuer}/authorize?response_type=code&client_id=${w.web.clientId}&redirect_uri=${encodeURIComponent(CB)}&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256`,
    { 'x-forwarded-for': ip },
  );
  const { action, fields } = formOf(page.text);
  fields.set('email', email);
  fields.set('password', password);
  return b.post(action, fields, { 'x-forwarded-for': ip });
}

async function sharedCount(t: TestServer, store: 'database' | 'redis', key: string) {
  if (store === 'database') {
    const [row] = await t.sql(`SELECT hits FROM rate_limit_counters WHERE key = $1`, [key]);
    return row?.hits as number | undefined;
  }
  const redis = new Redis(REDIS_URL);
  try {
    return Number(await redis.get(`tessera:rl:{${key}}`));
  } finally {
    redis.disconnect();
  }
}

/** The cases every store must pass. */
function limiterCases(t: TestServer, store: () => 'database' | 'redis') {
  it('answers 429 with Retry-After once a client spends its token budget, and counts per client', async () => {
    const w = await world(t, limited(3));
    for (let i = 0; i < 3; i++) expect((await w.cc()).status).toBe(200);
    const refused = await w.cc();
    expectTooMany(refused, 60);
    // another client of the tenant has its own budget
    expect((await w.cc(w.second)).status).toBe(200);
    if (store() === 'database') {
      const [row] = await t.sql(`SELECT hits FROM rate_limit_counters WHERE key = $1`, [
        `token:${w.tenantId}:${w.web.clientId}`,
      ]);
      expect(row.hits).toBe(4);
    }
  });

  it('counts a busy client in batches: every request reaches the shared counter a moment later', async () => {
    const w = await world(t); // default limits: large, so counted in batches
    for (let i = 0; i < 120; i++) expect((await w.cc()).status).toBe(200);
    const key = `token:${w.tenantId}:${w.web.clientId}`;
    await eventually(async () => expect(await sharedCount(t, store(), key)).toBe(120), 5000);
  });

  it('stays within one batch of a large limit under concurrency, and never refuses below it', async () => {
    const w = await world(t, limited(500)); // batches of 10
    const statuses: number[] = [];
    const worker = async () => {
      while (statuses.length < 560) {
        statuses.push(0);
        const i = statuses.length - 1;
        statuses[i] = (await w.cc()).status;
      }
    };
    await Promise.all(Array.from({ length: 20 }, worker));
    const allowed = statuses.filter((x) => x === 200).length;
    expect(statuses.filter((x) => x !== 200 && x !== 429)).toEqual([]);
    expect(allowed).toBeGreaterThanOrEqual(500);
    expect(allowed).toBeLessThanOrEqual(510);
  });

  it('does not count refused authentications, so nobody can spend another client’s budget', async () => {
    const w = await world(t, limited(2));
    for (let i = 0; i < 10; i++) {
      const res = await w.cc({ clientId: w.web.clientId, secret: randomBytes(24).toString('hex') });
      expect(res.status).toBe(401);
    }
    expect((await w.cc()).status).toBe(200);
    expect((await w.cc()).status).toBe(200);
    expectTooMany(await w.cc(), 60);
  });

  it('throttles only the address that spends a public client’s budget; its users elsewhere go on', async () => {
    const w = await world(t, limited(20));
    const s = await w.signIn(w.spa);
    const from = (ip: string, refreshToken: string) =>
      w.post(
        'token',
        { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: w.spa.clientId },
        { 'x-forwarded-for': ip }, // the server trusts a loopback proxy's forwarded address
      );
    const attacker = '198.51.100.66';
    const attack = [];
    for (let i = 0; i < 25; i++)
      attack.push(await from(attacker, randomBytes(32).toString('base64url')));
    // the real user, from another address, is not locked out
    const real = await from('203.0.113.20', s.refresh_token);
    expect(real.status).toBe(200);
    // the attacking address spent its own budget, and only that
    expect(attack.slice(0, 20).map((r) => r.body.error)).toEqual(Array(20).fill('invalid_grant'));
    for (const res of attack.slice(20)) expectTooMany(res, 60);
    // from there even a valid grant waits, and a refusal consumes nothing
    expectTooMany(await from(attacker, real.body.refresh_token), 60);
    expect((await from('203.0.113.20', real.body.refresh_token)).status).toBe(200);
    const key = (ip: string) => `token:${w.tenantId}:${w.spa.clientId}@${ip}`;
    expect(await sharedCount(t, store(), key('203.0.113.20'))).toBe(2);
    expect(await sharedCount(t, store(), key(attacker))).toBeGreaterThan(20);
  });

  it('counts an IPv6 source by its /64, the block one subscriber holds', async () => {
    const w = await world(t, limited(3));
    const garbage = (ip: string) =>
      w.post(
        'token',
        { grant_type: 'refresh_token', refresh_token: 'garbage', client_id: w.spa.clientId },
        { 'x-forwarded-for': ip },
      );
    for (const host of ['a', 'b', 'c'])
      expect((await garbage(`2001:db8:1:2::${host}`)).body.error).toBe('invalid_grant');
    expectTooMany(await garbage('2001:db8:1:2:ffff::d'), 60); // the same /64, another address
    expect((await garbage('2001:db8:1:3::a')).body.error).toBe('invalid_grant'); // the next /64
  });

  it('counts revocation requests against the client’s token budget (RFC 7009 §5)', async () => {
    const w = await world(t, limited(2));
    const token = (await w.cc()).body.access_token as string;
    expect((await w.revoke('not-a-token')).status).toBe(200);
    const refused = await w.revoke(token);
    expectTooMany(refused, 60);
    // refused means not done: the token is still active
    expect((await w.introspect(token)).body.active).toBe(true);
  });

  it('stops token scanning at the introspection endpoint per resource server (BI-55)', async () => {
    const w = await world(t, limited(1000, 20));
    const answers = [];
    for (let i = 0; i < 30; i++)
      answers.push(await w.introspect(randomBytes(32).toString('base64url')));
    expect(answers.slice(0, 20).map((r) => r.body)).toEqual(Array(20).fill({ active: false }));
    for (const res of answers.slice(20)) expectTooMany(res, 60);
    // the other resource server is not affected
    expect((await w.introspect('x', w.otherCreds)).body).toEqual({ active: false });
  });

  it('locks a sign-in address after repeated failures, whatever the accounts, and leaves other addresses alone', async () => {
    const w = await world(t, {
      rateLimits: { signInAddress: { limit: 3, window: '15m', lockout: '10m' } },
    });
    const ip = `198.51.100.${Math.floor(Math.random() * 200) + 1}`;
    for (let i = 0; i < 3; i++)
      expect(
        (await signInAttempt(t, w, `nobody${i}@example.test`, 'wrong password', ip)).status,
      ).toBe(401);
    const locked = await signInAttempt(t, w, w.user.email, w.user.password, ip);
    expect(locked.status).toBe(429);
    const wait = Number(locked.headers.get('retry-after'));
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(600);
    expect(locked.headers.get('location')).toBeNull();
    const [{ n }] = await t.sql(`SELECT count(*)::int AS n FROM sessions WHERE tenant_id = $1`, [
      w.tenantId,
    ]);
    expect(n).toBe(0);
    const elsewhere = await signInAttempt(t, w, w.user.email, w.user.password, '203.0.113.9');
    expect(elsewhere.status).toBe(303);
  });

  it('locks an unknown account exactly like a known one (no enumeration)', async () => {
    const w = await world(t, {
      rateLimits: { signInAccount: { limit: 2, window: '15m', lockout: '5m' } },
    });
    const answers: Array<{ status: number; text: string; retry: string | null }> = [];
    for (const email of [w.user.email, `ghost-${Date.now()}@example.test`]) {
      const ip = `192.0.2.${answers.length + 1}`;
      await signInAttempt(t, w, email, 'wrong one', ip);
      await signInAttempt(t, w, email, 'wrong two', ip);
      const res = await signInAttempt(
        t,
        w,
        email,
        email === w.user.email ? w.user.password : 'x',
        ip,
      );
      answers.push({
        status: res.status,
        text: /role="alert"[^>]*>([^<]+)</.exec(res.text)?.[1] ?? '',
        retry: res.headers.get('retry-after'),
      });
    }
    expect(answers[0].status).toBe(429);
    expect(answers[1]).toEqual(answers[0]);
  });
}

describe('rate limits and lockouts', () => {
  describe('in PostgreSQL (default)', () => {
    const t = useTestServer();
    limiterCases(t, () => 'database');

    it('shares counters between instances on one database', async () => {
      const w = await world(t, limited(4));
      const b: StartedTestServer = await startTestServer(t.databaseUrl);
      try {
        const viaB = (path: string) => path.replace(t.url, b.url);
        const statuses: number[] = [];
        for (let i = 0; i < 3; i++) {
          statuses.push((await w.cc()).status);
          const res = await fetch(viaB(`${w.issuer}/token`), {
            method: 'POST',
            headers: {
              'content-type': 'application/x-www-form-urlencoded',
              authorization: `Basic ${Buffer.from(`${w.web.clientId}:${w.web.secret}`).toString('base64')}`,
            },
            body: 'grant_type=client_credentials',
          });
          statuses.push(res.status);
        }
        expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
      } finally {
        await b.server.stop();
      }
    });

    it('takes limits from the tenant settings, validated, and shows the effective ones', async () => {
      const admin = await t.adminToken();
      const { slug } = await t.given.tenant();
      const shown = await t.get(`/admin/api/tenants/${slug}`, admin);
      expect(shown.body.rateLimits).toEqual({
        token: { limit: 200000, window: '1m' },
        introspection: { limit: 200000, window: '1m' },
        signInAccount: { limit: 5, window: '15m', lockout: '5m' },
        signInAddress: { limit: 30, window: '15m', lockout: '15m' },
      });
      const bad = await t.json(
        'PATCH',
        `/admin/api/tenants/${slug}`,
        { rateLimits: { token: { limit: 0, window: '2d' } } },
        admin,
      );
      expect(bad.status).toBe(400);
      expect(bad.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual([
        '/rateLimits/token/limit',
        '/rateLimits/token/window',
      ]);
      const ok = await t.json(
        'PATCH',
        `/admin/api/tenants/${slug}`,
        { rateLimits: { introspection: { limit: 50, window: '10s' } } },
        admin,
      );
      expect(ok.status).toBe(200);
      expect(ok.body.rateLimits.introspection).toEqual({ limit: 50, window: '10s' });
      expect(ok.body.rateLimits.token).toEqual({ limit: 200000, window: '1m' });
    });
  });

  describe('in Redis (REDIS_URL)', () => {
    const t = useTestServer({ env: { REDIS_URL: REDIS_URL } });
    limiterCases(t, () => 'redis');

    it('keeps the counters in Redis, not in the database', async () => {
      const w = await world(t, limited(5));
      expect((await w.cc()).status).toBe(200);
      const redis = new Redis(REDIS_URL);
      try {
        expect(await redis.get(`tessera:rl:{token:${w.tenantId}:${w.web.clientId}}`)).toBe('1');
      } finally {
        redis.disconnect();
      }
      const rows = await t.sql(`SELECT 1 FROM rate_limit_counters WHERE key LIKE $1`, [
        `%${w.tenantId}%`,
      ]);
      expect(rows).toHaveLength(0);
      expect(claims((await w.cc()).body.access_token).client_id).toBe(w.web.clientId);
    });
  });

  describe('when Redis cannot be reached', () => {
    let port: number;
    const env: Record<string, string> = {};
    beforeAll(async () => {
      port = await freePort();
      env.REDIS_URL = `redis://127.0.0.1:${port}`;
    });
    const t = useTestServer({ env });

    it('keeps serving (a limiter never takes the service down) and says so in the log', async () => {
      const w = await world(t, limited(1));
      expect((await w.cc()).status).toBe(200);
      expect((await w.cc()).status).toBe(200);
      expect(t.logs.text()).toContain('Redis unavailable for rate limits');
    });
  });
});
