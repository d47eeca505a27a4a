import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { loadConfig, type AppConfig } from '../../src/config';
import { startServer, type RunningServer } from '../../src/server';
import {
  createTestDatabase,
  databaseEnv,
  isServerMode,
  type TestDatabase,
} from '../../../../test-setup/test-database';
import { DataSource } from 'typeorm';
import { EMBEDDED_POOL_MAX } from '../../src/database';
import { ADMIN_SCOPES } from '../../src/admin';
import { basic, form, send, type Reply } from './http';
import { Browser, formOf, pkce } from './browser';

export { basic, form, send, type Reply, Browser, pkce };

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Collects the server's JSON log lines, to scan them for secrets. */
export class LogSink extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: string, done: () => void) {
    this.lines.push(chunk.toString('utf8'));
    done();
  }
  text(): string {
    return this.lines.join('');
  }
}

export interface StartedTestServer {
  server: RunningServer;
  config: AppConfig;
  /** Where the test reaches the server: PUBLIC_URL, or the server's own address when that is https. */
  url: string;
  logs: LogSink;
}

/**
 * The config a test server (or a test's services, support/services.ts) gets: the test database,
 * a short-lived admin, no timers the test did not ask for.
 */
export function testConfig(
  databaseUrl: string | undefined,
  env: Record<string, string> = {},
  port = 0,
): AppConfig {
  return loadConfig({
    NODE_ENV: 'test', // what allows CLOCK_OFFSET_MS, as a server process's environment does
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    LOG_LEVEL: 'debug',
    // jest's workers share two cores with the servers they drive: a sign-in can take seconds there.
    // The deadline's own tests set theirs.
    TESSERA_REQUEST_DEADLINE_MS: '30000',
    TESSERA_ADMIN_EMAIL: 'root@tessera.test',
    TESSERA_ADMIN_PASSWORD: 'an admin password for tests',
    // the retention job runs when a test says so (RetentionService.runOnce), never on a timer
    TESSERA_RETENTION_INTERVAL_SECONDS: '0',
    ...(databaseUrl ? databaseEnv(databaseUrl) : {}),
    // on the embedded test database, the same single connection as the embedded mode itself
    ...(databaseUrl && !isServerMode()
      ? {
          DATABASE_POOL_MAX: String(EMBEDDED_POOL_MAX),
          // and, as there, no statement timeout: PGlite runs one statement at a time for every
          // connection, so a statement queued behind a long one is waiting, not stalled
          DATABASE_STATEMENT_TIMEOUT_MS: '0',
        }
      : {}),
    ...env,
  });
}

/** Starts a real server (real HTTP, real database) with a config object, as main.ts would. */
export async function startTestServer(
  databaseUrl: string | undefined,
  env: Record<string, string> = {},
): Promise<StartedTestServer> {
  const port = await freePort();
  const config = testConfig(databaseUrl, env, port);
  const logs = new LogSink();
  const server = await startServer(config, { logDestination: logs });
  // an https PUBLIC_URL stands for a TLS-terminating proxy the test does not run: reach the server itself
  const url = config.publicUrl.startsWith('https:') ? `http://127.0.0.1:${port}` : config.publicUrl;
  return { server, config, url, logs };
}

export interface TestServer {
  readonly url: string;
  readonly config: AppConfig;
  readonly server: RunningServer;
  readonly logs: LogSink;
  readonly databaseUrl: string;
  issuer(slug: string): string;
  /** Runs SQL on the test database, to check invariants the API does not show. */
  sql<T = any>(text: string, params?: unknown[]): Promise<T[]>;
  /** The automation client's credentials (printed once at first start). */
  automation(): { clientId: string; clientSecret: string };
  /** A client_credentials token of the automation client (all admin scopes, every tenant). */
  adminToken(scope?: string): Promise<string>;
  get(path: string, token?: string): Promise<Reply>;
  json(method: string, path: string, body: unknown, token?: string): Promise<Reply>;
  token(
    slug: string,
    params: Record<string, string | string[]>,
    auth?: { clientId: string; secret: string },
  ): Promise<Reply>;
  /** Ends a session as an administrator does (the admin API); fails unless it answers 204. */
  revokeSession(slug: string, sid: string, reason?: string): Promise<void>;
  given: Factories;
}

export interface SignInOptions {
  clientId: string;
  redirectUri: string;
  email: string;
  password: string;
  scope?: string;
  resource?: string | string[];
  state?: string;
  nonce?: string;
  browser?: Browser;
  pkce?: { verifier: string; challenge: string } | false;
}

export interface SignedIn {
  browser: Browser;
  code: string;
  location: URL;
  verifier?: string;
}

interface Factories {
  user(
    slug: string,
    body?: Record<string, unknown>,
  ): Promise<{ id: string; email: string; password: string }>;
  /** A tenant through the admin API, with a unique slug. */
  tenant(body?: Record<string, unknown>): Promise<{ slug: string; issuer: string; id: string }>;
  resourceServer(
    slug: string,
    body?: Record<string, unknown>,
  ): Promise<{ identifier: string; id: string }>;
  /** Issues a resource server's introspection credentials (client id and secret). */
  resourceServerCredentials(
    slug: string,
    id: string,
  ): Promise<{ clientId: string; secret: string }>;
  /**
   * An administrator of the tenant — one of its own users, with the `admin` role — signed in to the
   * console at the tenant's issuer, as the console does.
   */
  tenantAdmin(
    slug: string,
    body?: Record<string, unknown>,
  ): Promise<{ id: string; email: string; password: string; tokens: ConsoleTokens }>;
  /** A confidential client; returns its secret. */
  app(
    slug: string,
    body?: Record<string, unknown>,
  ): Promise<{ clientId: string; secret: string; body: any }>;
}

/** The claims of a JWT, unverified (tests read what they were issued). */
export const claims = (jwt: string): Record<string, any> =>
  JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());

let counter = 0;
export const unique = (prefix: string) =>
  `${prefix}-${process.pid}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

/**
 * One server and one database for the test file: started in beforeAll, stopped and dropped in afterAll.
 */
export function useTestServer(
  opts: {
    env?: Record<string, string>;
    /**
     * Instead of a copy of the template on the run's server: a database the test provides (e.g. on
     * a cluster it starts), with what the server needs besides DATABASE_URL. `drop` runs last.
     */
    database?: () => Promise<TestDatabase & { env?: Record<string, string> }>;
  } = {},
): TestServer {
  let db: TestDatabase;
  let started: StartedTestServer;
  const tokens = new Map<string, string>();

  beforeAll(async () => {
    const own = opts.database ? await opts.database() : undefined;
    db = own ?? (await createTestDatabase());
    started = await startTestServer(db.url, { ...opts.env, ...own?.env });
  }, 120_000);
  afterAll(async () => {
    await started?.server.stop();
    await db?.drop();
  });

  const t: TestServer = {
    get url() {
      return started.url;
    },
    get config() {
      return started.config;
    },
    get server() {
      return started.server;
    },
    get logs() {
      return started.logs;
    },
    get databaseUrl() {
      return db.url;
    },
    issuer: (slug) => `${started.url}/t/${slug}`,
    // through the server's own pool: on the embedded database a second connection could interleave
    sql: async (text, params) =>
      started.server.app.get(DataSource).query(text, params as unknown[]),
    automation() {
      const first = started.server.firstStart;
      if (!first) throw new Error('The test database was not fresh: no first-start credentials');
      return { clientId: first.automationClientId, clientSecret: first.automationClientSecret };
    },
    async adminToken(scope) {
      const key = scope ?? '*';
      const hit = tokens.get(key);
      if (hit) return hit;
      const a = t.automation();
      const res = await t.token(
        'system',
        { grant_type: 'client_credentials', ...(scope ? { scope } : {}) },
        { clientId: a.clientId, secret: a.clientSecret },
      );
      if (res.status !== 200) throw new Error(`admin token: ${res.status} ${res.text}`);
      tokens.set(key, res.body.access_token);
      return res.body.access_token;
    },
    get: (path, token) =>
      send(`${started.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} }),
    json: (method, path, body, token) =>
      send(`${started.url}${path}`, {
        method,
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    token: (slug, params, auth) =>
      send(`${started.url}/t/${slug}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          ...(auth ? { authorization: basic(auth.clientId, auth.secret) } : {}),
        },
        body: form(params),
      }),
    async revokeSession(slug, sid, reason) {
      const res = await t.json(
        'DELETE',
        `/admin/api/tenants/${slug}/sessions/${sid}`,
        reason === undefined ? {} : { reason },
        await t.adminToken(),
      );
      if (res.status !== 204) throw new Error(`revoke session: ${res.status} ${res.text}`);
    },
    given: {
      async tenant(body = {}) {
        const slug = unique('t')
          .toLowerCase()
          .replace(/[^a-z0-9-]/g, '-')
          .slice(0, 60);
        const res = await t.json(
          'POST',
          '/admin/api/tenants',
          { slug, name: `Tenant ${slug}`, ...body },
          await t.adminToken(),
        );
        if (res.status !== 201) throw new Error(`tenant: ${res.status} ${res.text}`);
        return { slug, issuer: res.body.issuer, id: res.body.id };
      },
      async user(slug, body = {}) {
        const email = (body.email as string) ?? `${unique('user')}@example.test`;
        const password = (body.password as string) ?? 'a long enough test password';
        const res = await t.json(
          'POST',
          `/admin/api/tenants/${slug}/users`,
          { email, password, ...body },
          await t.adminToken(),
        );
        if (res.status !== 201) throw new Error(`user: ${res.status} ${res.text}`);
        return { id: res.body.id, email, password };
      },
      async resourceServer(slug, body = {}) {
        const identifier =
          (body.identifier as string) ?? `https://api.example.test/${unique('rs')}`;
        const res = await t.json(
          'POST',
          `/admin/api/tenants/${slug}/resource-servers`,
          { identifier, name: identifier, scopes: [], ...body },
          await t.adminToken(),
        );
        if (res.status !== 201) throw new Error(`resource server: ${res.status} ${res.text}`);
        return { identifier, id: res.body.id };
      },
      async resourceServerCredentials(slug, id) {
        const res = await t.json(
          'POST',
          `/admin/api/tenants/${slug}/resource-servers/${id}/credentials`,
          undefined,
          await t.adminToken(),
        );
        if (res.status !== 200) throw new Error(`credentials: ${res.status} ${res.text}`);
        return { clientId: res.body.clientId as string, secret: res.body.clientSecret as string };
      },
      async tenantAdmin(slug, body = {}) {
        const user = await t.given.user(slug, { roles: ['admin'], ...body });
        return { ...user, tokens: await consoleSignIn(t, slug, user.email, user.password) };
      },
      async app(slug, body = {}) {
        const res = await t.json(
          'POST',
          `/admin/api/tenants/${slug}/applications`,
          {
            clientId: unique('app'),
            name: 'Test app',
            type: 'confidential',
            grantTypes: ['client_credentials'],
            ...body,
          },
          await t.adminToken(),
        );
        if (res.status !== 201) throw new Error(`app: ${res.status} ${res.text}`);
        return {
          clientId: res.body.application.clientId,
          secret: res.body.clientSecret ?? (body.clientSecret as string),
          body: res.body,
        };
      },
    },
  };
  return t;
}

/**
 * The browser side of the authorization code flow: /authorize, the sign-in form (or SSO), back to
 * the redirect URI with a code.
 */
export async function authorize(
  t: Pick<TestServer, 'issuer'>,
  slug: string,
  o: SignInOptions,
): Promise<SignedIn> {
  const browser = o.browser ?? new Browser();
  const challenge = o.pkce === false ? undefined : (o.pkce ?? pkce());
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: o.clientId,
    redirect_uri: o.redirectUri,
    state: o.state ?? 'state-1',
  });
  if (o.scope) q.set('scope', o.scope);
  if (o.nonce) q.set('nonce', o.nonce);
  for (const r of o.resource === undefined
    ? []
    : Array.isArray(o.resource)
      ? o.resource
      : [o.resource])
    q.append('resource', r);
  if (challenge) {
    q.set('code_challenge', challenge.challenge);
    q.set('code_challenge_method', 'S256');
  }
  let res = await browser.get(`${t.issuer(slug)}/authorize?${q}`);
  if (res.status === 200) {
    const { action, fields } = formOf(res.text);
    fields.set('email', o.email);
    fields.set('password', o.password);
    res = await browser.post(action, fields);
  }
  if (res.status !== 302 && res.status !== 303)
    throw new Error(`sign-in: ${res.status} ${res.text.slice(0, 300)}`);
  const location = new URL(res.headers.get('location')!);
  const code = location.searchParams.get('code');
  if (!code) throw new Error(`no code: ${location}`);
  return { browser, code, location, verifier: challenge ? challenge.verifier : undefined };
}

/** Every scope the console asks for (a missing one would answer 403 before the tenant check). */
export const CONSOLE_SCOPES = ['openid', 'email', ...ADMIN_SCOPES.map((s) => s.name)].join(' ');

export interface ConsoleTokens {
  access_token: string;
  refresh_token: string;
  id_token: string;
}

/** What the console does: code + PKCE as the public client `tessera-console` of the tenant. */
export async function consoleSignIn(
  t: Pick<TestServer, 'issuer' | 'token' | 'url'>,
  slug: string,
  email: string,
  password: string,
  browser?: Browser,
): Promise<ConsoleTokens> {
  const redirectUri = `${t.url}/admin/callback`;
  const s = await authorize(t, slug, {
    clientId: 'tessera-console',
    redirectUri,
    email,
    password,
    scope: CONSOLE_SCOPES,
    resource: 'urn:tessera:admin-api',
    browser,
  });
  const res = await t.token(slug, {
    grant_type: 'authorization_code',
    code: s.code,
    redirect_uri: redirectUri,
    code_verifier: s.verifier!,
    client_id: 'tessera-console',
  });
  if (res.status !== 200) throw new Error(`console sign-in: ${res.status} ${res.text}`);
  return res.body as ConsoleTokens;
}

export interface SignedInTokens {
  access_token: string;
  refresh_token: string;
  id_token: string;
  scope: string;
  expires_in: number;
  /** The session the access token names. */
  sid: string;
  browser: Browser;
}

/**
 * A whole sign-in: /authorize in a browser, then the code exchange (Basic for confidential clients).
 * Works against an in-process server or a server process (support/processes.ts).
 */
export async function signIn(
  t: Pick<TestServer, 'issuer' | 'token'>,
  slug: string,
  o: Omit<SignInOptions, 'clientId'> & { app: { clientId: string; secret?: string } },
): Promise<SignedInTokens> {
  const s = await authorize(t, slug, { ...o, clientId: o.app.clientId });
  const params = {
    grant_type: 'authorization_code',
    code: s.code,
    redirect_uri: o.redirectUri,
    code_verifier: s.verifier!,
  };
  const res = o.app.secret
    ? await t.token(slug, params, { clientId: o.app.clientId, secret: o.app.secret })
    : await t.token(slug, { ...params, client_id: o.app.clientId });
  if (res.status !== 200) throw new Error(`code exchange: ${res.status} ${res.text}`);
  const sid = JSON.parse(Buffer.from(res.body.access_token.split('.')[1], 'base64url').toString())
    .sid as string;
  return { ...res.body, sid, browser: s.browser };
}

/** Polls an assertion until it passes (async effects), never a fixed sleep. */
export async function eventually(
  assertion: () => Promise<void> | void,
  timeoutMs = 5000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      await assertion();
      return;
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}
