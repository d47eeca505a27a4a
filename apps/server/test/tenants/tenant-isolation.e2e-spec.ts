import { send, useTestServer, type Reply } from '../support/harness';
import { servedRoutes } from '../support/routes';
import { world, type World } from '../support/world';

/**
 * BI-78, BI-79, BI-82, BI-83: every admin route the router serves (read from the running app's
 * controllers, so a route the OpenAPI document forgot is tried all the same), and every account route, tried across tenants with valid tokens of the wrong
 * tenant. All refused; nothing of the other tenant in any answer; nothing of it changed.
 */
describe('tenant isolation', () => {
  const t = useTestServer();
  let a: World;
  let b: World;
  let bSession: { sid: string; access_token: string; refresh_token: string };
  let aSession: { sid: string; access_token: string };
  let aAdmin: string; // a principal of A with every admin scope, administrator of A only
  let bIssued: string; // a token of B's issuer for the admin API, to a principal that administers nothing
  let routes: Array<{ method: string; path: string }>;
  let documented: Array<{ method: string; path: string }>;
  const activeKid = new Map<string, string>(); // by tenant id: a real key for the {kid} routes

  beforeAll(async () => {
    a = await world(t);
    b = await world(t);
    aSession = await a.signIn();
    bSession = await b.signIn();
    for (const w of [a, b])
      activeKid.set(
        w.tenantId,
        (
          await t.sql(`SELECT kid FROM signing_keys WHERE tenant_id = $1 AND state = 'active'`, [
            w.tenantId,
          ])
        )[0].kid,
      );
    const all = await t.get('/admin/api/docs');
    const doc =
      all.status === 200 ? all.body : (await t.get('/admin/api/docs', await t.adminToken())).body;
    routes = servedRoutes(t.server.app).filter(
      (r) => r.path.startsWith('/admin/api/') && r.path !== '/admin/api/docs',
    );
    documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, ops]) => Object.keys(ops).map((method) => ({ method: method.toUpperCase(), path })),
    );
    const scopes = [
      ...new Set(
        Object.values(
          doc.paths as Record<string, Record<string, { security: Array<{ bearer: string[] }> }>>,
        )
          .flatMap((ops) => Object.values(ops))
          .flatMap((op) => op.security.flatMap((s) => s.bearer)),
      ),
    ];
    // A's own administrator: an application of A given every admin scope and made its administrator
    const client = await t.given.app(a.slug, {
      grants: [{ resourceServer: 'urn:tessera:admin-api', scopes, flows: ['client_credentials'] }],
    });
    expect(
      (
        await t.json(
          'PUT',
          `/admin/api/tenants/${a.slug}/admins`,
          { subject: client.clientId },
          await t.adminToken(),
        )
      ).status,
    ).toBe(204);
    aAdmin = (await t.token(a.slug, { grant_type: 'client_credentials' }, client)).body
      .access_token;
    // B's issuer, for its own admin API, to an application of B that B did not make an administrator
    const bApp = await t.given.app(b.slug, {
      grants: [{ resourceServer: 'urn:tessera:admin-api', scopes, flows: ['client_credentials'] }],
    });
    bIssued = (await t.token(b.slug, { grant_type: 'client_credentials' }, bApp)).body.access_token;
    expect(typeof bIssued).toBe('string');
  });

  /** Everything of B an error message must never name. */
  const secretsOfB = () => [
    b.tenantId,
    b.web.clientId,
    b.second.clientId,
    b.rs.identifier,
    b.rs.id,
    b.user.id,
    b.user.email,
    bSession.sid,
  ];
  const fill = (path: string, slug: string, w: World, sid: string) =>
    path
      .replace('{tenant}', slug)
      .replace('{clientId}', w.web.clientId)
      .replace('{subject}', w.web.clientId)
      .replace('{kid}', activeKid.get(w.tenantId)!) // set in beforeAll for both tenants
      .replace(
        '{id}',
        path.includes('/sessions/') ? sid : path.includes('/users/') ? w.user.id : w.rs.id,
      );
  const call = (method: string, path: string, token: string) =>
    method === 'GET'
      ? t.get(path, token)
      : t.json(method, path, method === 'DELETE' ? undefined : {}, token);
  /** B as the system administrator sees it: compared before and after the attempts. */
  const snapshotOfB = async () => {
    const root = await t.adminToken();
    const out: Record<string, unknown> = {};
    // the audit trail (its list and its export) grows with the reads themselves
    const steady = routes.filter(
      (x) => x.method === 'GET' && x.path.includes('{tenant}') && !x.path.includes('/audit'),
    );
    for (const r of steady) {
      const res = await t.get(fill(r.path, b.slug, b, bSession.sid), root);
      // volatile fields: last use grows with the reads themselves
      out[r.path] = JSON.parse(
        res.text.replace(/"(lastSeenAt|updatedAt|lastUsedAt)":"[^"]*"/g, '"$1":"-"'),
      );
    }
    return out;
  };
  const expectNothingOf = (res: Reply, what: string[]) => {
    for (const v of what) expect(res.text).not.toContain(v);
    expect(res.text).not.toMatch(/stack|QueryFailedError|\.ts:\d+/);
  };

  it('enumerates a useful number of admin routes from the router, each one in the OpenAPI document', () => {
    expect(routes.length).toBeGreaterThanOrEqual(38);
    expect(routes.filter((r) => r.path.includes('{tenant}')).length).toBeGreaterThanOrEqual(34);
    const key = (r: { method: string; path: string }) => `${r.method} ${r.path}`;
    expect(documented.map(key).sort()).toEqual(routes.map(key).sort());
  });

  it('refuses tenant A’s administrator on every route of tenant B with the same 404 as for no tenant, and changes nothing', async () => {
    const before = await snapshotOfB();
    for (const v of [b.web.clientId, b.user.email, bSession.sid, b.rs.identifier])
      expect(JSON.stringify(before)).toContain(v); // the snapshot really holds B
    for (const r of routes.filter((x) => x.path.includes('{tenant}'))) {
      const res = await call(r.method, fill(r.path, b.slug, b, bSession.sid), aAdmin);
      const none = await call(
        r.method,
        fill(r.path, 'no-such-tenant-here', b, bSession.sid),
        aAdmin,
      );
      expect({ route: `${r.method} ${r.path}`, status: res.status, body: res.body }).toEqual({
        route: `${r.method} ${r.path}`,
        status: 404,
        body: { type: 'about:blank', status: 404, code: 'not_found', detail: 'Tenant not found' },
      });
      expect(none.body).toEqual(res.body); // no oracle for which tenants exist
      expectNothingOf(res, secretsOfB());
    }
    expect(await snapshotOfB()).toEqual(before);
    // B's session and tokens still work
    expect((await b.refresh(bSession.refresh_token)).status).toBe(200);
  });

  it('lists only tenant A, and refuses the system-only routes outside it', async () => {
    const list = await t.get('/admin/api/tenants', aAdmin);
    expect(list.status).toBe(200);
    expect(list.body.map((x: { slug: string }) => x.slug)).toEqual([a.slug]);
    expectNothingOf(list, secretsOfB());
    const create = await t.json(
      'POST',
      '/admin/api/tenants',
      { slug: 'x-tenant', name: 'x' },
      aAdmin,
    );
    expect(create.status).toBe(403);
  });

  it('refuses a token of B’s issuer whose principal administers nothing on every admin route, B’s own included', async () => {
    const before = await snapshotOfB();
    for (const r of routes) {
      for (const slug of [a.slug, b.slug]) {
        const path = fill(
          r.path,
          slug,
          slug === a.slug ? a : b,
          slug === a.slug ? aSession.sid : bSession.sid,
        );
        const res = await call(r.method, path, bIssued);
        if (r.path.includes('{tenant}'))
          expect({ route: `${r.method} ${path}`, status: res.status, body: res.body }).toEqual({
            route: `${r.method} ${path}`,
            status: 404,
            body: {
              type: 'about:blank',
              status: 404,
              code: 'not_found',
              detail: 'Tenant not found',
            },
          });
        else if (r.method === 'GET' && r.path === '/admin/api/tenants')
          expect(res.body).toEqual([]);
        else if (r.method !== 'GET') expect(res.status).toBe(403);
        expectNothingOf(res, secretsOfB());
      }
    }
    expect(await snapshotOfB()).toEqual(before);
  });

  it('BI-78 does not find tenant B’s session through tenant A’s routes, and leaves it alive', async () => {
    for (const method of ['GET', 'DELETE']) {
      const res = await call(
        method,
        `/admin/api/tenants/${a.slug}/sessions/${bSession.sid}`,
        aAdmin,
      );
      expect(res.status).toBe(404);
      expectNothingOf(res, secretsOfB());
    }
    expect((await b.introspect(bSession.access_token)).body.active).toBe(true);
  });

  it('BI-79 never returns B’s rows for ?tenant=B or a cursor minted for B', async () => {
    const extra = await b.signIn();
    const root = await t.adminToken();
    const page = await t.get(`/admin/api/tenants/${b.slug}/sessions?limit=1`, root);
    expect(page.body.nextCursor).toEqual(expect.any(String));
    const withTenant = await t.get(
      `/admin/api/tenants/${a.slug}/sessions?tenant=${b.slug}`,
      aAdmin,
    );
    const withCursor = await t.get(
      `/admin/api/tenants/${a.slug}/sessions?cursor=${encodeURIComponent(page.body.nextCursor)}`,
      aAdmin,
    );
    for (const res of [withTenant, withCursor]) {
      expect(res.status).toBeLessThan(500);
      expectNothingOf(res, [...secretsOfB(), extra.sid]);
      if (res.status === 200)
        for (const s of res.body.items)
          expect(s.id).not.toMatch(new RegExp(`${bSession.sid}|${extra.sid}`));
    }
  });

  it('BI-82 refuses tenant B’s resource server at tenant A’s revocation feed, whatever cursor it brings', async () => {
    const basicB = `Basic ${Buffer.from(`${b.rsCreds.clientId}:${b.rsCreds.secret}`).toString('base64')}`;
    for (const headers of [
      { authorization: basicB } as Record<string, string>,
      { authorization: basicB, 'last-event-id': '1' },
      { authorization: basicB, accept: 'text/event-stream', 'last-event-id': '1' },
    ]) {
      const res = await send(`${a.issuer}/revocations?after=0`, { headers });
      expect([401, 403]).toContain(res.status);
      expect(res.text).not.toContain('"events"');
    }
  });

  describe('BI-83 and the account endpoint', () => {
    const as = (token: string) => ({ authorization: `Bearer ${token}` });
    let aAccount: { sid: string; access_token: string };
    let bAccount: { sid: string; access_token: string };

    beforeAll(async () => {
      // tokens for each tenant's own account API
      aAccount = await a.accountSignIn();
      bAccount = await b.accountSignIn();
    });

    it('refuses a user token of tenant B at every account route of tenant A, and ends nothing', async () => {
      const attempts = [
        send(`${a.issuer}/account/sessions`, { headers: as(bAccount.access_token) }),
        send(`${a.issuer}/account/sessions?others=true`, {
          method: 'DELETE',
          headers: as(bAccount.access_token),
        }),
        send(`${a.issuer}/account/sessions/${aAccount.sid}`, {
          method: 'DELETE',
          headers: as(bAccount.access_token),
        }),
        send(`${a.issuer}/account/sessions/${bAccount.sid}`, {
          method: 'DELETE',
          headers: as(bAccount.access_token),
        }),
      ];
      for (const res of await Promise.all(attempts)) {
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
        expectNothingOf(res, [...secretsOfB(), aAccount.sid, bAccount.sid]);
      }
      expect((await a.introspect(aSession.access_token)).body.active).toBe(true);
      expect((await b.introspect(bSession.access_token)).body.active).toBe(true);
      const alive = await t.sql(
        `SELECT count(*)::int AS n FROM sessions WHERE id = ANY($1) AND revoked_at IS NULL`,
        [[aAccount.sid, bAccount.sid]],
      );
      expect(alive).toEqual([{ n: 2 }]);
    });

    it('does not let a user of tenant A end a session of tenant B by id through A (404)', async () => {
      const res = await send(`${a.issuer}/account/sessions/${bSession.sid}`, {
        method: 'DELETE',
        headers: as(aAccount.access_token),
      });
      // an RFC 9457 problem that says no more than "not found"
      expect({ status: res.status, body: res.body }).toEqual({
        status: 404,
        body: { type: 'about:blank', status: 404, code: 'not_found', detail: 'Session not found' },
      });
      expectNothingOf(res, secretsOfB());
      expect((await b.introspect(bSession.access_token)).body.active).toBe(true);
    });
  });
});
