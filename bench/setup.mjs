// The benchmark's world: a Tessera server on a fresh database of the real PostgreSQL, a generated
// data set (3 tenants, 10 000 users, 100 000 live sessions), and signed-in clients with their own
// refresh-token families.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { basic, freePort, http, startProcess } from './lib.mjs';

const ROOT = resolve(import.meta.dirname, '..');
export const SERVER = join(ROOT, 'dist/apps/server/main.js');
export const ORDERS = join(ROOT, 'dist/apps/example-orders/main.js');
export const CB = 'http://127.0.0.1:9/cb';
const PASSWORD = 'benchmark password 1';
/** Live sessions of the generated data set unless `--sessions N` says otherwise. */
export const DEFAULT_SESSIONS = 100_000;

/**
 * The bench tenants. `backchannelLogoutUri` (the load cases' receiver) is registered for the web
 * application of the `bench` tenant, so that ending a session leaves an outbox row to deliver.
 * `policy` overlays the tenants' policy (the churn case's short lifetimes).
 */
export function bootstrapFile({ backchannelLogoutUri, policy } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
  const tenants = ['bench', 'bench-b', 'bench-c'].map((slug) => ({
    slug,
    name: slug,
    policy: { reuseGraceSeconds: 10, ...policy },
    // one client at full speed through every scenario: the default 200 000 a minute (3 333/s) is
    // below one process's client_credentials rate. The limiter still counts every request.
    rateLimits: {
      token: { limit: 10_000_000, window: '1m' },
      introspection: { limit: 10_000_000, window: '1m' },
    },
    resourceServers: [
      {
        identifier: 'https://orders.bench.test',
        name: 'Orders',
        scopes: [
          { name: 'orders:read', description: '' },
          { name: 'orders:write', description: '' },
        ],
      },
    ],
    applications: [
      {
        clientId: 'bench-cc',
        name: 'CC',
        type: 'confidential',
        clientSecret: 'bench-client-credentials-secret-0123456789',
        grantTypes: ['client_credentials'],
        grants: [
          {
            resourceServer: 'https://orders.bench.test',
            scopes: ['orders:read'],
            flows: ['client_credentials'],
          },
        ],
      },
      {
        clientId: 'bench-web',
        name: 'Web',
        type: 'confidential',
        clientSecret: 'bench-web-application-secret-0123456789',
        grantTypes: ['authorization_code', 'refresh_token'],
        redirectUris: [CB],
        ...(backchannelLogoutUri && slug === 'bench' ? { backchannelLogoutUri } : {}),
        grants: [
          {
            resourceServer: 'https://orders.bench.test',
            scopes: ['orders:read', 'orders:write'],
            flows: ['user'],
          },
        ],
      },
    ],
    users: [
      {
        email: 'seed@bench.test',
        password: PASSWORD,
        permissions: [
          { resourceServer: 'https://orders.bench.test', scopes: ['orders:read', 'orders:write'] },
        ],
      },
    ],
  }));
  const path = join(dir, 'bootstrap.json');
  writeFileSync(path, JSON.stringify({ tenants }));
  return path;
}

export const WEB = { clientId: 'bench-web', secret: 'bench-web-application-secret-0123456789' };
export const CC = { clientId: 'bench-cc', secret: 'bench-client-credentials-secret-0123456789' };

/**
 * Database connections per measured process, Tessera's and the peer's alike: Tessera's default
 * (README). On two cores more connections only add PostgreSQL backends competing for them (refresh
 * at c=50 measured 1 624–1 680 req/s with 20, 1 811–2 086 with 8).
 */
export const BENCH_POOL_MAX = 10;

/** `serverUrl` naming the database `databaseUrl` names. */
function sameDatabase(serverUrl, databaseUrl) {
  const u = new URL(serverUrl);
  u.pathname = new URL(databaseUrl).pathname;
  return u.toString();
}

/** `logFile`: the whole log, for a scan afterwards; `backchannelLogoutUri`: see bootstrapFile. */
export async function startServer(
  databaseUrl,
  extraEnv = {},
  { logFile, backchannelLogoutUri, policy } = {},
) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // where a first start leaves its credentials (0600): never in the output, which is a log
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-bench-data-'));
  const proc = await startProcess(
    SERVER,
    {
      PORT: String(port),
      PUBLIC_URL: url,
      DATABASE_URL: databaseUrl,
      // DATABASE_URL a pooler (DATABASE_DIRECT_URL set for the run): the same database, directly
      ...(process.env.DATABASE_DIRECT_URL
        ? { DATABASE_DIRECT_URL: sameDatabase(process.env.DATABASE_DIRECT_URL, databaseUrl) }
        : {}),
      TESSERA_DATA_DIR: dataDir,
      DATABASE_POOL_MAX: String(BENCH_POOL_MAX),
      TESSERA_BOOTSTRAP: bootstrapFile({ backchannelLogoutUri, policy }),
      TESSERA_ADMIN_PASSWORD: 'benchmark admin password',
      // the access log costs a write per request: BENCH_LOG_LEVEL=info measures it
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
      ...extraEnv,
    },
    `${url}/readyz`,
    'tessera',
    { logFile },
  );
  return { ...proc, url, port, dataDir, issuer: (slug = 'bench') => `${url}/t/${slug}` };
}

/**
 * 10 000 users (one argon2 hash, copied) and `sessions` live sessions (100 000 by default) across
 * the three tenants, each session with a refresh-token family of the web application and its live
 * token: bulk SQL, a few seconds per 100 000. Every run starts from a fresh database (a reused one
 * would carry the previous run's rotations and dead rows). The generated tokens' hashes are
 * `sha256(int8send(k) || int4send(0))`, k counting from 1 across the tenants in their order (the
 * `bench` tenant first): the refresh-statement ceiling presents them to the rotation statement.
 */
export async function generateData(databaseUrl, sessions = DEFAULT_SESSIONS) {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const { rows } = await c.query(
      `SELECT u.password_hash, u.tenant_id, a.id AS application_id
       FROM users u JOIN tenants t ON t.id = u.tenant_id
       JOIN applications a ON a.tenant_id = t.id AND a.client_id = 'bench-web'
       WHERE u.email = 'seed@bench.test'
       ORDER BY t.slug`,
    );
    let offset = 0;
    for (const [i, r] of rows.entries()) {
      // the sessions split evenly across the tenants, the first taking the remainder
      const perTenant = Math.floor(sessions / rows.length) + (i === 0 ? sessions % rows.length : 0);
      const n = 3334; // × 3 tenants ≈ 10 000 users
      await c.query(
        `INSERT INTO users (id, tenant_id, email, password_hash, roles) SELECT gen_random_uuid(), $1, 'u' || g || '@bench.test', $2, '[]' FROM generate_series(1, $3) g`,
        [r.tenant_id, r.password_hash, n],
      );
      await c.query(
        `INSERT INTO user_permissions (tenant_id, user_id, resource_server_id, scopes, permission_groups)
         SELECT u.tenant_id, u.id, rs.id, '["orders:read","orders:write"]', '[]' FROM users u JOIN resource_servers rs ON rs.tenant_id = u.tenant_id WHERE u.tenant_id = $1 AND u.email LIKE 'u%@bench.test'`,
        [r.tenant_id],
      );
      // the users take the tenant's sessions in turn (10 each at the default size)
      await c.query(
        `INSERT INTO sessions (id, tenant_id, user_id, cookie_hash, auth_time, idle_expires_at, absolute_expires_at, ip, user_agent)
         SELECT gen_random_uuid(), u.tenant_id, u.id, sha256(uuid_send(gen_random_uuid())),
                now(), now() + interval '7 days', now() + interval '30 days', '10.0.0.1', 'bench'
         FROM generate_series(0, $2 - 1) g
         JOIN (SELECT id, tenant_id, row_number() OVER (ORDER BY id) - 1 AS n, count(*) OVER () AS total
               FROM users WHERE tenant_id = $1 AND email LIKE 'u%@bench.test') u ON u.n = g % u.total`,
        [r.tenant_id, perTenant],
      );
      await c.query(
        `INSERT INTO refresh_token_families (id, tenant_id, session_id, application_id, user_id, scopes, resources, absolute_expires_at)
         SELECT gen_random_uuid(), s.tenant_id, s.id, $2, s.user_id, '["orders:read"]',
                jsonb_build_array(jsonb_build_object('identifier', 'https://orders.bench.test', 'resourceServerId', rs.id, 'scopes', jsonb_build_array('orders:read'))),
                s.absolute_expires_at
         FROM sessions s JOIN resource_servers rs ON rs.tenant_id = s.tenant_id AND rs.identifier = 'https://orders.bench.test'
         WHERE s.tenant_id = $1`,
        [r.tenant_id, r.application_id],
      );
      await c.query(
        `INSERT INTO refresh_tokens (id, tenant_id, family_id, token_hash, generation, idle_expires_at)
         SELECT gen_random_uuid(), f.tenant_id, f.id, sha256(int8send($2 + row_number() OVER (ORDER BY f.id)) || int4send(0)), 0, now() + interval '14 days'
         FROM refresh_token_families f WHERE f.tenant_id = $1`,
        [r.tenant_id, offset],
      );
      offset += perTenant;
      await c.query(
        `INSERT INTO session_surfaces (session_id, application_id, tenant_id)
         SELECT s.id, $2, s.tenant_id FROM sessions s WHERE s.tenant_id = $1`,
        [r.tenant_id, r.application_id],
      );
    }
    await c.query('VACUUM ANALYZE');
  } finally {
    await c.end();
  }
}

/** The peer's store at the same size: `sessions` grants, each with a live refresh token. */
export async function generatePeerData(databaseUrl, sessions = DEFAULT_SESSIONS) {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    await c.query(
      `INSERT INTO oidc_payloads (model, id, payload, grant_id, expires_at)
       SELECT 'Grant', 'g' || g, jsonb_build_object('iat', extract(epoch FROM now())::int, 'exp', extract(epoch FROM now() + interval '30 days')::int,
                'accountId', 'user-' || g, 'clientId', 'bench-web', 'kind', 'Grant', 'jti', 'g' || g,
                'openid', jsonb_build_object('scope', 'offline_access'),
                'resources', jsonb_build_object('https://orders.bench.test', 'orders:read')),
              NULL, now() + interval '30 days'
       FROM generate_series(1, $1::int) g`,
      [sessions],
    );
    await c.query(
      `INSERT INTO oidc_payloads (model, id, payload, grant_id, expires_at)
       SELECT 'RefreshToken', t, jsonb_build_object('iat', extract(epoch FROM now())::int, 'exp', extract(epoch FROM now() + interval '14 days')::int,
                'accountId', 'user-' || g, 'clientId', 'bench-web', 'kind', 'RefreshToken', 'jti', t, 'grantId', 'g' || g,
                'gty', 'authorization_code', 'scope', 'offline_access orders:read', 'resource', 'https://orders.bench.test'),
              'g' || g, now() + interval '14 days'
       FROM generate_series(1, $1::int) g, encode(sha256(int8send(g)), 'base64') t`,
      [sessions],
    );
    await c.query('VACUUM ANALYZE oidc_payloads');
  } finally {
    await c.end();
  }
}

/**
 * The browser side of a sign-in (form, CSRF cookie), then the code exchange. `timings.form` gets
 * the milliseconds of the form post (the password check); a refused form post throws an error with
 * its `status` and `retryAfter`.
 */
export async function signIn(server, email, scope = 'orders:read', timings = {}) {
  const verifier = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
  const challenge = Buffer.from(
    await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)),
  ).toString('base64url');
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: WEB.clientId,
    redirect_uri: CB,
    scope,
    state: 's',
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  const page = await fetch(`${server.issuer()}/authorize?${q}`);
  const html = await page.text();
  const refused = (step, r) =>
    Object.assign(new Error(`sign-in ${step}: ${r.status}`), {
      status: r.status,
      retryAfter: r.headers.get('retry-after'),
    });
  if (page.status !== 200) throw refused('page', page);
  const cookie = page.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const fields = new URLSearchParams();
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g))
    fields.append(m[1], m[2].replace(/&amp;/g, '&'));
  fields.set('email', email);
  fields.set('password', PASSWORD);
  const posted = performance.now();
  const post = await fetch(`${server.issuer()}/authorize`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: fields.toString(),
  });
  timings.form = performance.now() - posted;
  if (post.status !== 303) {
    await post.arrayBuffer();
    throw refused('form', post);
  }
  const code = new URL(post.headers.get('location')).searchParams.get('code');
  const res = await http(`${server.issuer()}/token`, {
    method: 'POST',
    headers: {
      authorization: basic(WEB.clientId, WEB.secret),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: CB,
      code_verifier: verifier,
    }).toString(),
  });
  if (res.status !== 200)
    throw Object.assign(new Error(`sign-in failed: ${res.status} ${res.text}`), {
      status: res.status,
      retryAfter: res.headers.get('retry-after'),
    });
  return res.body;
}

/** The first start's credentials, from its 0600 file (they never reach the output, a log). */
export function firstStart(server) {
  return JSON.parse(readFileSync(join(server.dataDir, 'first-start.json'), 'utf8'));
}

export async function adminToken(server) {
  const first = firstStart(server);
  const res = await http(`${server.url}/t/system/token`, {
    method: 'POST',
    headers: {
      authorization: basic(first.clientId, first.clientSecret),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  return res.body.access_token;
}

export async function resourceServerCredentials(server, admin) {
  const list = await http(`${server.url}/admin/api/tenants/bench/resource-servers`, {
    headers: { authorization: `Bearer ${admin}` },
  });
  const rs = list.body.find((r) => r.identifier === 'https://orders.bench.test');
  const res = await http(
    `${server.url}/admin/api/tenants/bench/resource-servers/${rs.id}/credentials`,
    { method: 'POST', headers: { authorization: `Bearer ${admin}` } },
  );
  return { clientId: res.body.clientId, secret: res.body.clientSecret };
}

/** apps/example-orders following `issuer`'s revocation feed with the web application's credentials. */
export async function startOrders(issuer) {
  const port = await freePort();
  const orders = await startProcess(
    ORDERS,
    {
      PORT: String(port),
      TESSERA_ISSUER: issuer,
      TESSERA_AUDIENCE: 'https://orders.bench.test',
      TESSERA_CLIENT_ID: WEB.clientId,
      TESSERA_CLIENT_SECRET: WEB.secret,
    },
    `http://127.0.0.1:${port}/healthz`,
    'example-orders',
  );
  return { ...orders, url: `http://127.0.0.1:${port}` };
}

/**
 * A subscriber of a revocation feed (SSE) with the web application's credentials: calls
 * onEvent(data, performance.now()) for every event. `close()` ends it.
 */
export async function subscribeFeed(feedUrl, onEvent) {
  const ctrl = new AbortController();
  const stream = await fetch(feedUrl, {
    headers: { accept: 'text/event-stream', authorization: basic(WEB.clientId, WEB.secret) },
    signal: ctrl.signal,
  });
  if (stream.status !== 200) throw new Error(`feed: ${stream.status}`);
  void (async () => {
    const reader = stream.body.getReader();
    const decoder = new TextDecoder();
    let buf = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buf += decoder.decode(value, { stream: true });
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const data = /^data: (.*)$/m.exec(buf.slice(0, i))?.[1];
          buf = buf.slice(i + 2);
          if (data) onEvent(JSON.parse(data), performance.now());
        }
      }
    } catch {}
  })();
  return { close: () => ctrl.abort() };
}
