import { Client } from 'pg';
import {
  createTestDatabase,
  isServerMode,
  type TestDatabase,
} from '../../../../test-setup/test-database';
import { basic, eventually, form, send, signIn, type Reply } from './harness';
import { PgProxy, ServerProcess } from './processes';

/**
 * Shared by the fault tests: one tenant from a bootstrap file (a resource server, a confidential
 * application with rotating refresh tokens, users), and the invariants checked in the database.
 */

export const SLUG = 'faults';
export const API = 'https://api.faults.test/orders';
export const CALLBACK = 'https://app.faults.test/cb';
export const APP = { clientId: 'faults-web', secret: 'a fault-test client secret, 32+ chars' };
const PASSWORD = 'a long enough test password';

/**
 * The fault tests start server processes and cut, stall or kill them around a real PostgreSQL
 * server; the embedded database lives inside one process and cannot take part: skipped, saying why.
 */
export function describeOnServer(name: string, fn: () => void): void {
  if (isServerMode()) describe(name, fn);
  else
    describe.skip(
      `${name} (skipped: needs a PostgreSQL server, set DATABASE_URL; the embedded database lives inside one process)`,
      fn,
    );
}

export function bootstrap(o: {
  reuseGraceSeconds: number;
  users: number;
  /** The application's back-channel logout URI (a loopback one needs TESSERA_ALLOW_PRIVATE_URIS). */
  backchannelLogoutUri?: string;
}) {
  return {
    tenants: [
      {
        slug: SLUG,
        name: 'Faults',
        resourceServers: [
          {
            identifier: API,
            name: 'Orders',
            scopes: [{ name: 'orders:read', description: 'Read' }],
          },
        ],
        applications: [
          {
            clientId: APP.clientId,
            clientSecret: APP.secret,
            name: 'Fault tests',
            type: 'confidential',
            redirectUris: [CALLBACK],
            ...(o.backchannelLogoutUri ? { backchannelLogoutUri: o.backchannelLogoutUri } : {}),
            grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
            defaultResource: API,
            policy: {
              accessTokenTtl: '10m',
              rotation: true,
              reuseGraceSeconds: o.reuseGraceSeconds,
              onReuse: 'revoke-session',
            },
            grants: [
              {
                resourceServer: API,
                scopes: ['orders:read'],
                flows: ['user', 'client_credentials'],
              },
            ],
          },
        ],
        users: Array.from({ length: o.users }, (_, i) => ({
          email: `user${i}@faults.test`,
          password: PASSWORD,
          permissions: [{ resourceServer: API, scopes: ['orders:read'] }],
        })),
      },
    ],
  };
}

export interface FaultServer {
  readonly db: TestDatabase;
  readonly server: ServerProcess;
  /** Between the server and the database, with `throughProxy`. */
  readonly proxy: PgProxy;
}

/**
 * For the enclosing describe block: a fresh database and one server process with the fault tenant
 * (`bootstrap`); with `throughProxy`, the server reaches the database through a PgProxy the test
 * can cut or stall. Everything is stopped and dropped after the block.
 */
export function useFaultServer(
  o: Parameters<typeof bootstrap>[0] & { env?: Record<string, string>; throughProxy?: boolean },
): FaultServer {
  let db: TestDatabase | undefined;
  let proxy: PgProxy | undefined;
  let server: ServerProcess | undefined;
  beforeAll(async () => {
    db = await createTestDatabase();
    if (o.throughProxy) proxy = await PgProxy.start(db.url);
    server = await ServerProcess.start({
      databaseUrl: proxy ? proxy.through(db.url) : db.url,
      bootstrap: bootstrap(o),
      env: o.env,
    });
  }, 180_000); // the first suite to start a server may build it
  afterAll(async () => {
    await proxy?.restore(); // a stalled proxy would hold the graceful stop
    await server?.stop();
    await proxy?.stop();
    await db?.drop();
  });
  const ready = <T>(v: T | undefined, what: string): T => {
    if (!v) throw new Error(`${what} is not started: beforeAll failed`);
    return v;
  };
  return {
    get db() {
      return ready(db, 'the database');
    },
    get server() {
      return ready(server, 'the server');
    },
    get proxy() {
      return ready(proxy, 'the proxy (throughProxy)');
    },
  };
}

/** Signs users 0..n-1 in, one after the other (password hashing is bounded per process). */
export async function signInAll(
  server: ServerProcess,
  n: number,
): Promise<Array<{ refreshToken: string; accessToken: string; sid: string }>> {
  const out = [];
  for (let i = 0; i < n; i++) {
    const s = await signIn(server, SLUG, {
      app: APP,
      redirectUri: CALLBACK,
      email: `user${i}@faults.test`,
      password: PASSWORD,
      scope: 'openid orders:read',
    });
    out.push({ refreshToken: s.refresh_token, accessToken: s.access_token, sid: s.sid });
  }
  return out;
}

export const refresh = (server: ServerProcess, token: string) =>
  server.token(SLUG, { grant_type: 'refresh_token', refresh_token: token }, APP);

export const clientCredentials = (server: ServerProcess) =>
  server.token(SLUG, { grant_type: 'client_credentials' }, APP);

export const introspect = (server: ServerProcess, token: string): Promise<Reply> =>
  send(`${server.issuer(SLUG)}/introspect`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: basic(APP.clientId, APP.secret),
    },
    body: form({ token }),
  });

export const revoke = (server: ServerProcess, token: string): Promise<Reply> =>
  send(`${server.issuer(SLUG)}/revoke`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: basic(APP.clientId, APP.secret),
    },
    body: form({ token }),
  });

/** Runs SQL on the test database directly (never through a proxy under test). */
export async function sql<T = any>(url: string, text: string, params?: unknown[]): Promise<T[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text, params)).rows as T[];
  } finally {
    await c.end();
  }
}

/**
 * After the server was SIGKILLed: waits until no session of it is left in the database. A statement
 * it had already sent runs to its end, and commits, after the process died; the database read
 * before that is the state before it.
 */
export async function killedSessionsGone(url: string): Promise<void> {
  await eventually(
    async () =>
      expect(
        await sql(
          url,
          `SELECT pid FROM pg_stat_activity
           WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
        ),
      ).toEqual([]),
    15_000,
  );
}

/**
 * What a rotation may never leave behind, whatever failed: a used token without its successor
 * (half-written), a token with two successors, a live family with two unused tokens.
 */
export async function rotationViolations(url: string) {
  const [halfWritten, twoSuccessors, twoLive] = await Promise.all([
    sql(
      url,
      `SELECT r.id FROM refresh_tokens r
       WHERE r.used_at IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM refresh_tokens c WHERE c.parent_id = r.id)`,
    ),
    sql(
      url,
      `SELECT parent_id, count(*)::int AS n FROM refresh_tokens
       WHERE parent_id IS NOT NULL GROUP BY parent_id HAVING count(*) > 1`,
    ),
    sql(
      url,
      `SELECT r.family_id, count(*)::int AS n
       FROM refresh_tokens r JOIN refresh_token_families f ON f.id = r.family_id
       WHERE f.revoked_at IS NULL AND r.used_at IS NULL
       GROUP BY r.family_id HAVING count(*) > 1`,
    ),
  ]);
  return { halfWritten, twoSuccessors, twoLive };
}

/** 503, Retry-After, the RFC 6749 JSON shape, nothing internal. */
export function expectTemporarilyUnavailable(r: Reply): void {
  expect({ status: r.status, retryAfter: r.headers.get('retry-after') }).toEqual({
    status: 503,
    retryAfter: expect.stringMatching(/^\d+$/),
  });
  expect(r.headers.get('content-type')).toMatch(/^application\/json/);
  expect(r.body).toEqual({
    error: 'temporarily_unavailable',
    error_description: expect.any(String),
  });
  expect(r.text).not.toMatch(/\bat \S+ \(|node_modules|Error:|stack/i);
}
