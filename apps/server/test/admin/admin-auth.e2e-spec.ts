import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KeysService } from '../../src/keys';
import { consoleSignIn, send, useTestServer } from '../support/harness';

describe('admin API protection', () => {
  const t = useTestServer();

  it('answers 401 with a bare Bearer challenge when no token is sent', async () => {
    const res = await t.get('/admin/api/tenants');
    expect(res.status).toBe(401);
    // a bare Bearer challenge, then DPoP's with the proof algorithms (RFC 9449 §7.1)
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer, DPoP algs="ES256 EdDSA [^"]+"$/);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(res.body).toEqual({
      type: 'about:blank',
      status: 401,
      code: 'unauthenticated',
      detail: expect.any(String),
    });
  });

  it.each([
    ['garbage', 'not-a-jwt'],
    ['a tampered token', 'TAMPER'],
    ['alg none', 'NONE'],
  ])('answers 401 invalid_token for %s', async (_name, kind) => {
    let token = kind;
    const good = await t.adminToken();
    const [h, p, s] = good.split('.');
    if (kind === 'TAMPER') {
      const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
      token = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: 'someone-else' })).toString('base64url')}.${s}`;
    }
    if (kind === 'NONE')
      token = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${p}.`;
    const res = await t.get('/admin/api/tenants', token);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect(res.text).not.toContain(good);
  });

  it('gives a token of another tenant’s issuer no rights unless that tenant made its principal an administrator', async () => {
    const acme = await t.given.tenant();
    // every tenant has the admin API built in: nobody can register a look-alike
    const fake = await t.json(
      'POST',
      `/admin/api/tenants/${acme.slug}/resource-servers`,
      { identifier: 'urn:tessera:admin-api', name: 'x', scopes: [] },
      await t.adminToken(),
    );
    expect(fake.status).toBe(409);
    const app = await t.given.app(acme.slug, {
      grants: [
        {
          resourceServer: 'urn:tessera:admin-api',
          scopes: ['admin:tenants:read', 'admin:applications:read'],
          flows: ['client_credentials'],
        },
      ],
    });
    const token = (
      await t.token(
        acme.slug,
        { grant_type: 'client_credentials' },
        { clientId: app.clientId, secret: app.secret },
      )
    ).body.access_token;
    expect(token).toEqual(expect.any(String));
    const list = await t.get('/admin/api/tenants', token);
    expect(list.status).toBe(200);
    expect(list.body).toEqual([]);
    for (const slug of [acme.slug, 'system']) {
      const res = await t.get(`/admin/api/tenants/${slug}/applications`, token);
      expect(res.status).toBe(404);
      expect(res.text).not.toContain(app.clientId);
    }
  });

  it('refuses a token signed with one tenant’s key that names another tenant’s issuer (RFC 8725 §3.8)', async () => {
    const acme = await t.given.tenant();
    // the automation client's token, re-signed by acme's own key: claims of system, key of acme
    const claims = JSON.parse(
      Buffer.from((await t.adminToken()).split('.')[1], 'base64url').toString(),
    );
    const forged = await t.server.app
      .get(KeysService)
      .sign(acme.id, { typ: 'at+jwt' }, { ...claims, jti: randomUUID() });
    const res = await t.get('/admin/api/tenants', forged);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    // the same claims signed by system's own key are accepted: only the key made the difference
    const genuine = await t.server.app.get(KeysService).sign(
      (await t.sql(`SELECT id FROM tenants WHERE slug = 'system'`))[0].id,
      { typ: 'at+jwt' },
      {
        ...claims,
        jti: randomUUID(),
      },
    );
    expect((await t.get('/admin/api/tenants', genuine)).status).toBe(200);
  });

  it('answers 403 insufficient_scope naming the scope the route needs', async () => {
    const token = await t.adminToken('admin:keys:read');
    const res = await t.get('/admin/api/tenants', token);
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer error="insufficient_scope", scope="admin:tenants:read"',
    );
    expect(res.body.code).toBe('forbidden');
  });

  describe('an administrator of one tenant (one of its own users)', () => {
    let a: { slug: string };
    let b: { slug: string };
    let token: string;

    beforeAll(async () => {
      a = await t.given.tenant();
      b = await t.given.tenant();
      await t.given.app(b.slug, { clientId: 'b-secret-app' });
      token = (await t.given.tenantAdmin(a.slug)).tokens.access_token;
    });

    it('sees only that tenant in the list', async () => {
      const res = await t.get('/admin/api/tenants', token);
      expect(res.status).toBe(200);
      expect(res.body.map((x: { slug: string }) => x.slug)).toEqual([a.slug]);
    });

    it('gets 404 with nothing of the other tenant for every route under it', async () => {
      const attempts = [
        t.get(`/admin/api/tenants/${b.slug}`, token),
        t.get(`/admin/api/tenants/${b.slug}/applications`, token),
        t.get(`/admin/api/tenants/${b.slug}/applications/b-secret-app`, token),
        t.get(`/admin/api/tenants/${b.slug}/keys`, token),
        t.json('PATCH', `/admin/api/tenants/${b.slug}`, { name: 'pwned' }, token),
        t.json(
          'POST',
          `/admin/api/tenants/${b.slug}/applications`,
          { name: 'x', type: 'confidential', grantTypes: ['client_credentials'] },
          token,
        ),
        t.json(
          'DELETE',
          `/admin/api/tenants/${b.slug}/applications/b-secret-app`,
          undefined,
          token,
        ),
        t.json('POST', `/admin/api/tenants/${b.slug}/keys/rotate`, undefined, token),
      ];
      for (const res of await Promise.all(attempts)) {
        expect(res.status).toBe(404);
        expect(res.body).toEqual({
          type: 'about:blank',
          status: 404,
          code: 'not_found',
          detail: 'Tenant not found',
        });
        expect(res.text).not.toContain('b-secret-app');
      }
      const stillThere = await t.get(
        `/admin/api/tenants/${b.slug}/applications/b-secret-app`,
        await t.adminToken(),
      );
      expect(stillThere.status).toBe(200);
      expect(
        (await t.get(`/admin/api/tenants/${b.slug}`, await t.adminToken())).body.name,
      ).not.toBe('pwned');
    });

    it('cannot create tenants, nor appoint anyone who is not of its tenant', async () => {
      expect(
        (await t.json('POST', '/admin/api/tenants', { slug: 'nope-tenant', name: 'x' }, token))
          .status,
      ).toBe(403);
      const root = await t.sql(`SELECT id FROM users WHERE email = 'root@tessera.test'`);
      for (const subject of ['someone', root[0].id, 'tessera-automation', 'b-secret-app']) {
        const res = await t.json('PUT', `/admin/api/tenants/${a.slug}/admins`, { subject }, token);
        expect(res.status).toBe(400);
        expect(res.body.errors).toEqual([{ pointer: '/subject', detail: expect.any(String) }]);
      }
      expect(
        (await t.json('PUT', `/admin/api/tenants/${b.slug}/admins`, { subject: 'x' }, token))
          .status,
      ).toBe(404);
      const admins = await t.get(`/admin/api/tenants/${a.slug}/admins`, await t.adminToken());
      expect(admins.body).toHaveLength(1);
    });

    it('works on its own tenant, and appoints its own users', async () => {
      const res = await t.json(
        'POST',
        `/admin/api/tenants/${a.slug}/applications`,
        { name: 'Mine', type: 'confidential', grantTypes: ['client_credentials'] },
        token,
      );
      expect(res.status).toBe(201);
      const colleague = await t.given.user(a.slug);
      const put = await t.json(
        'PUT',
        `/admin/api/tenants/${a.slug}/admins`,
        { subject: colleague.id },
        token,
      );
      expect(put.status).toBe(204);
      const user = await t.get(`/admin/api/tenants/${a.slug}/users/${colleague.id}`, token);
      expect(user.body.roles).toEqual(['admin']);
      const signedIn = await consoleSignIn(t, a.slug, colleague.email, colleague.password);
      expect((await t.get(`/admin/api/tenants/${a.slug}`, signedIn.access_token)).status).toBe(200);
    });
  });

  it('answers 400 naming each bad field by JSON pointer', async () => {
    const res = await t.json(
      'POST',
      '/admin/api/tenants',
      { slug: 'Bad Slug!', name: '', extra: 1 },
      await t.adminToken(),
    );
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_failed');
    const pointers = res.body.errors.map((e: { pointer: string }) => e.pointer);
    expect(pointers).toEqual(expect.arrayContaining(['/slug', '/name', '/']));
    expect(res.body.errors.find((e: { pointer: string }) => e.pointer === '/').detail).toContain(
      'extra',
    );
  });

  it('answers 400 for malformed JSON and 413 for an oversized body, as problems without a stack', async () => {
    const token = await t.adminToken();
    const bad = await send(`${t.url}/admin/api/tenants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{"slug":',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('validation_failed');
    const big = await send(`${t.url}/admin/api/tenants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x'.repeat(400_000) }),
    });
    expect(big.status).toBe(413);
    for (const r of [bad, big]) expect(r.text).not.toMatch(/\n\s+at /);
  });

  it('serves its OpenAPI document, generated from the request schemas', async () => {
    const res = await t.get('/admin/api/docs');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    const create = res.body.paths['/admin/api/tenants/{tenant}/applications'].post;
    expect(create.security).toEqual([{ bearer: ['admin:applications:write'] }]);
    const schema = create.requestBody.content['application/json'].schema;
    expect(schema.required).toEqual(expect.arrayContaining(['name', 'type', 'grantTypes']));
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining([
        'clientId',
        'redirectUris',
        'policy',
        'grants',
        'backchannelLogoutUri',
      ]),
    );
    for (const [path, methods] of Object.entries(
      res.body.paths as Record<string, Record<string, { summary: string }>>,
    )) {
      expect(path).toMatch(/^\/admin\/api\//);
      for (const op of Object.values(methods)) expect(op.summary).toEqual(expect.any(String));
    }
    // what it serves is the committed document (the console's client is generated from that one)
    const committed = JSON.parse(
      readFileSync(join(__dirname, '../../openapi/admin-api.json'), 'utf8'),
    ) as Record<string, unknown>;
    expect(res.body).toEqual({ ...committed, servers: [{ url: expect.any(String) }] });
  });

  it('marks admin answers no-store: they can carry secrets shown once', async () => {
    const { slug } = await t.given.tenant();
    const res = await t.json(
      'POST',
      `/admin/api/tenants/${slug}/applications`,
      { name: 'x', type: 'confidential', grantTypes: ['client_credentials'] },
      await t.adminToken(),
    );
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(
      (await t.get('/admin/api/tenants', await t.adminToken())).headers.get('cache-control'),
    ).toBe('no-store');
  });

  it('takes admin rights away from a deleted client, and a new client with its id inherits nothing', async () => {
    const { slug } = await t.given.tenant();
    const grants = [
      {
        resourceServer: 'urn:tessera:admin-api',
        scopes: ['admin:tenants:read'],
        flows: ['client_credentials'],
      },
    ];
    const admin = await t.given.app(slug, { clientId: 'short-lived-admin', grants });
    expect(
      (
        await t.json(
          'PUT',
          `/admin/api/tenants/${slug}/admins`,
          { subject: 'short-lived-admin' },
          await t.adminToken(),
        )
      ).status,
    ).toBe(204);
    const tokenOf = async (app: { clientId: string; secret: string }) =>
      (await t.token(slug, { grant_type: 'client_credentials' }, app)).body.access_token;
    const token = await tokenOf(admin);
    expect((await t.get(`/admin/api/tenants/${slug}`, token)).status).toBe(200);
    expect(
      (
        await t.json(
          'DELETE',
          `/admin/api/tenants/${slug}/applications/short-lived-admin`,
          undefined,
          await t.adminToken(),
        )
      ).status,
    ).toBe(204);
    // the deleted client's token died with it, so it is not even an administrator
    const refused = await t.get(`/admin/api/tenants/${slug}`, token);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    const again = await t.given.app(slug, { clientId: 'short-lived-admin', grants });
    expect((await t.get(`/admin/api/tenants/${slug}`, await tokenOf(again))).status).toBe(404);
  });

  it('answers malformed ids and slugs with 4xx, never a 500', async () => {
    const token = await t.adminToken();
    const { slug } = await t.given.tenant();
    for (const path of [
      `/admin/api/tenants/${slug}/resource-servers/------------------------------------`,
      `/admin/api/tenants/${slug}/users/%00`,
      `/admin/api/tenants/%00/applications`,
      `/admin/api/tenants/${'x'.repeat(4000)}`,
    ]) {
      const res = await t.get(path, token);
      expect(res.status).toBe(404);
    }
  });

  it('answers a path the router cannot decode (a bad percent-encoding) like any refused request', async () => {
    const admin = await send(`${t.url}/admin/api/tenants/%zz`);
    expect(admin.status).toBe(400);
    expect(admin.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(admin.body).toEqual(expect.objectContaining({ status: 400, code: 'validation_failed' }));
    expect(admin.headers.get('cache-control')).toBe('no-store');
    const oauth = await send(`${t.url}/t/%zz/token`, { method: 'POST' });
    expect(oauth.status).toBe(400);
    expect(oauth.body).toEqual({
      error: 'invalid_request',
      error_description: 'The request is malformed',
    });
    for (const res of [admin, oauth]) {
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
  });
});
