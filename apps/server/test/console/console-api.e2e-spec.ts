import { OPERATIONS } from '../../../admin/src/api/operations';
import { CONSOLE_CLIENT_ID, SystemSetup } from '../../src/admin';
import { serveConsole } from '../../src/admin/console-static';
import { consoleSignIn, send, signIn, useTestServer, type Reply } from '../support/harness';

/** Fills an OpenAPI path template the way the console's client does. */
const fill = (path: string, params: Record<string, string>) =>
  path.replace(/\{(\w+)\}/g, (_, k: string) => encodeURIComponent(params[k] ?? 'x'));

describe('the admin console: its client, its API calls and its files', () => {
  const t = useTestServer();

  it('calls only routes the served OpenAPI document describes, by their operationIds', async () => {
    const doc = await t.get('/admin/api/docs');
    expect(doc.status).toBe(200);
    const missing = Object.entries(OPERATIONS).filter(
      ([id, { method, path }]) => doc.body.paths[path]?.[method]?.operationId !== id,
    );
    expect(missing).toEqual([]);
    expect(Object.keys(OPERATIONS).length).toBeGreaterThan(20);
  });

  it('is registered as a public client with code + PKCE and rotating refresh tokens', async () => {
    const token = await t.adminToken();
    const app = await t.get(`/admin/api/tenants/system/applications/${CONSOLE_CLIENT_ID}`, token);
    expect(app.status).toBe(200);
    expect(app.body).toMatchObject({
      type: 'public',
      grantTypes: ['authorization_code', 'refresh_token'],
      redirectUris: [`${t.url}/admin/callback`],
      postLogoutRedirectUris: [`${t.url}/admin/`],
      effectivePolicy: { rotation: true },
    });
    // the first administrator signs in through it and the refresh token rotates
    const tokens = await consoleSignIn(
      t,
      'system',
      'root@tessera.test',
      'an admin password for tests',
    );
    expect((await t.get('/admin/api/tenants', tokens.access_token)).status).toBe(200);
    const rotated = await t.token('system', {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
      client_id: CONSOLE_CLIENT_ID,
    });
    expect(rotated.status).toBe(200);
    expect(rotated.body.refresh_token).not.toBe(tokens.refresh_token);
    expect((await t.get('/admin/api/tenants', rotated.body.access_token)).status).toBe(200);
  });

  it('registers the console again on a database that lacks it, in every tenant (setup upserts)', async () => {
    const { slug } = await t.given.tenant();
    await t.sql(`DELETE FROM applications WHERE client_id = $1`, [CONSOLE_CLIENT_ID]);
    expect(await t.server.app.get(SystemSetup).ensure()).toBeUndefined();
    const rows = await t.sql(
      `SELECT t.slug, a.type, a.redirect_uris FROM applications a JOIN tenants t ON t.id = a.tenant_id WHERE a.client_id = $1 AND t.slug IN ('system', $2) ORDER BY t.slug = 'system'`,
      [CONSOLE_CLIENT_ID, slug],
    );
    expect(rows).toEqual([
      { slug, type: 'public', redirect_uris: [`${t.url}/admin/callback`] },
      { slug: 'system', type: 'public', redirect_uris: [`${t.url}/admin/callback`] },
    ]);
  });

  it('keeps every tenant’s console client: it cannot be deleted or disabled, only its tokens revoked', async () => {
    const { slug } = await t.given.tenant();
    const admin = await t.given.tenantAdmin(slug);
    const path = `/admin/api/tenants/${slug}/applications/${CONSOLE_CLIENT_ID}`;
    for (const token of [admin.tokens.access_token, await t.adminToken()]) {
      const deleted = await t.json('DELETE', path, undefined, token);
      expect(deleted.status).toBe(409);
      expect(deleted.body.detail).toContain('administrators could not sign in');
      expect((await t.json('PATCH', path, { isDisabled: true }, token)).status).toBe(409);
    }
    expect((await t.get(path, await t.adminToken())).body.isDisabled).toBe(false);
    // the administrators still sign in
    const again = await consoleSignIn(t, slug, admin.email, admin.password);
    expect((await t.get(`/admin/api/tenants/${slug}`, again.access_token)).status).toBe(200);
  });

  it('serves the built console at /admin with deep links, and leaves /admin/api its JSON 404s', async () => {
    const api404 = await send(`${t.url}/admin/api/nope`);
    expect(api404.status).toBe(404);
    expect(api404.headers.get('content-type')).toMatch(/json/);
    const redirect = await send(`${t.url}/admin`);
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get('location')).toBe('/admin/');
  });

  it('answers deep links with index.html and a missing asset with 404 (routes on a built console)', async () => {
    const { mkdtempSync, mkdirSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { default: Fastify } = await import('fastify');
    const dir = mkdtempSync(join(tmpdir(), 'console-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console</title>');
    writeFileSync(join(dir, 'assets', 'app-1.js'), 'console.log(1)');
    const app = Fastify({ routerOptions: { ignoreTrailingSlash: true } });
    serveConsole(app, dir);
    app.setNotFoundHandler((_req, res) => void res.code(404).send({ code: 'not_found' }));
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const deep = await send(`${base}/admin/t/acme/sessions/123`);
      expect(deep.status).toBe(200);
      expect(deep.text).toContain('<title>console</title>');
      expect(deep.headers.get('content-security-policy')).toContain("script-src 'self'");
      const asset = await send(`${base}/admin/assets/app-1.js`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('cache-control')).toContain('immutable');
      expect((await send(`${base}/admin/assets/gone.js`)).status).toBe(404);
      const api = await send(`${base}/admin/api/tenants`);
      expect(api.status).toBe(404);
      expect(api.body).toEqual({ code: 'not_found' });
    } finally {
      await app.close();
    }
  });

  it('refuses a public client whose refresh tokens would not rotate, naming the field', async () => {
    const { slug } = await t.given.tenant();
    const res = await t.json(
      'POST',
      `/admin/api/tenants/${slug}/applications`,
      {
        name: 'SPA',
        type: 'public',
        grantTypes: ['authorization_code', 'refresh_token'],
        redirectUris: ['https://spa.example.test/cb'],
        policy: { rotation: false },
      },
      await t.adminToken(),
    );
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      { pointer: '/policy/rotation', detail: expect.stringContaining('rotation on') },
    ]);
    const ordered = await t.json(
      'POST',
      `/admin/api/tenants/${slug}/applications`,
      {
        name: 'Web',
        type: 'confidential',
        grantTypes: ['client_credentials'],
        policy: { refreshAbsoluteTtl: '30d', sessionAbsoluteTtl: '20d' },
      },
      await t.adminToken(),
    );
    expect(ordered.status).toBe(400);
    expect(ordered.body.errors).toEqual([
      { pointer: '/policy/refreshAbsoluteTtl', detail: expect.stringContaining('session') },
    ]);
    expect(
      await t.sql(
        `SELECT a.client_id FROM applications a JOIN tenants t ON t.id = a.tenant_id WHERE t.slug = $1`,
        [slug],
      ),
    ).toEqual([{ client_id: CONSOLE_CLIENT_ID }]); // the tenant's built-in console client only
  });

  it('counts active sessions, sign-ins and refreshes for the overview', async () => {
    const { slug } = await t.given.tenant();
    const cb = 'https://app.example.test/cb';
    const app = await t.given.app(slug, {
      grantTypes: ['authorization_code', 'refresh_token'],
      redirectUris: [cb],
    });
    const user = await t.given.user(slug);
    const s = await signIn(t, slug, {
      app,
      redirectUri: cb,
      email: user.email,
      password: user.password,
      scope: 'openid',
    });
    const refreshed = await t.token(
      slug,
      { grant_type: 'refresh_token', refresh_token: s.refresh_token },
      { clientId: app.clientId, secret: app.secret },
    );
    expect(refreshed.status).toBe(200);
    const res = await t.get(`/admin/api/tenants/${slug}/overview`, await t.adminToken());
    expect(res.status).toBe(200);
    expect(res.body.activeSessions).toBe(1);
    expect(res.body.hours).toHaveLength(24);
    const sum = (k: 'signIns' | 'refreshes') =>
      res.body.hours.reduce((n: number, h: Record<string, number>) => n + h[k], 0);
    expect({ signIns: sum('signIns'), refreshes: sum('refreshes') }).toEqual({
      signIns: 1,
      refreshes: 1,
    });
    // another tenant's numbers are its own
    const other = await t.given.tenant();
    const empty = await t.get(`/admin/api/tenants/${other.slug}/overview`, await t.adminToken());
    expect(empty.body.activeSessions).toBe(0);
  });

  describe('an administrator of tenant A', () => {
    let a: string;
    let b: string;
    let adminOfA: { access_token: string };
    let ada: { id: string; email: string; password: string };
    let sessionOfB: { sid: string; refresh_token: string };
    let userOfB: string;
    const cb = 'https://app.example.test/cb';

    beforeAll(async () => {
      ({ slug: a } = await t.given.tenant());
      ({ slug: b } = await t.given.tenant());
      // roles: ["admin"] makes a user of A an administrator of A, signing in to the console at A
      const admin = await t.given.tenantAdmin(a, { email: 'ada@a.example.test' });
      ada = admin;
      adminOfA = admin.tokens;
      for (const slug of [a, b]) {
        const app = await t.given.app(slug, {
          grantTypes: ['authorization_code', 'refresh_token'],
          redirectUris: [cb],
        });
        const user = await t.given.user(slug);
        const s = await signIn(t, slug, {
          app,
          redirectUri: cb,
          email: user.email,
          password: user.password,
          scope: 'openid',
        });
        if (slug === b) {
          sessionOfB = s;
          userOfB = user.id;
        }
      }
    });

    it('sees only tenant A', async () => {
      const res = await t.get('/admin/api/tenants', adminOfA.access_token);
      expect(res.status).toBe(200);
      expect(res.body.map((x: { slug: string }) => x.slug)).toEqual([a]);
      const own = await t.get(`/admin/api/tenants/${a}/sessions`, adminOfA.access_token);
      expect(own.status).toBe(200);
      // the user's own and the administrator's console session
      expect(own.body.items).toHaveLength(2);
    });

    it("can neither read nor revoke tenant B's sessions through any call the console makes", async () => {
      const refusals: Array<{ endpoint: string; reply: Reply }> = [];
      for (const [endpoint, { method, path }] of Object.entries(OPERATIONS)) {
        if (!path.includes('{tenant}')) continue;
        const url = fill(path, { tenant: b, id: sessionOfB.sid, clientId: 'x' });
        const body = ['post', 'put', 'patch', 'delete'].includes(method) ? {} : undefined;
        const reply = await t.json(method.toUpperCase(), url, body, adminOfA.access_token);
        refusals.push({ endpoint, reply });
      }
      // a tenant they do not administer does not exist for them
      for (const { endpoint, reply } of refusals)
        expect({ endpoint, status: reply.status }).toEqual({ endpoint, status: 404 });
      // and the user-scoped calls with B's user id too
      const signOut = await t.json(
        'POST',
        `/admin/api/tenants/${b}/users/${userOfB}/sign-out`,
        {},
        adminOfA.access_token,
      );
      expect(signOut.status).toBe(404);
      // B's session is untouched: not revoked, its refresh token still works
      const [row] = await t.sql(`SELECT revoked_at FROM sessions WHERE id = $1`, [sessionOfB.sid]);
      expect(row.revoked_at).toBeNull();
      const root = await t.get(`/admin/api/tenants/${b}/sessions`, await t.adminToken());
      expect(root.body.items.map((s: { id: string }) => s.id)).toEqual([sessionOfB.sid]);
    });

    it('loses tenant A when the admin role is taken away', async () => {
      const token = await t.adminToken();
      const res = await t.json(
        'PATCH',
        `/admin/api/tenants/${a}/users/${ada.id}`,
        { roles: [] },
        token,
      );
      expect(res.status).toBe(200);
      const tenants = await t.get('/admin/api/tenants', adminOfA.access_token);
      expect(tenants.status).toBe(200);
      expect(tenants.body).toEqual([]);
      expect((await t.get(`/admin/api/tenants/${a}/sessions`, adminOfA.access_token)).status).toBe(
        404,
      );
      // and no longer holds the admin API's scopes: a new console sign-in carries none
      const again = await consoleSignIn(t, a, ada.email, ada.password);
      expect((await t.get('/admin/api/tenants', again.access_token)).status).toBe(403);
    });

    it('makes an existing user an administrator with their own password, and nobody else', async () => {
      const token = await t.adminToken();
      const bob = await t.given.user(a, { email: 'bob@a.example.test' });
      const ok = await t.json(
        'PATCH',
        `/admin/api/tenants/${a}/users/${bob.id}`,
        { roles: ['admin'] },
        token,
      );
      expect(ok.status).toBe(200);
      const bobConsole = await consoleSignIn(t, a, bob.email, bob.password);
      const tenants = await t.get('/admin/api/tenants', bobConsole.access_token);
      expect(tenants.body.map((x: { slug: string }) => x.slug)).toEqual([a]);
      // no principal was made anywhere else
      expect(
        await t.sql(
          `SELECT t.slug FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE u.email = $1`,
          [bob.email],
        ),
      ).toEqual([{ slug: a }]);
    });
  });
});
