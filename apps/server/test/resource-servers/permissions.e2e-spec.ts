import { authorize, useTestServer, claims } from '../support/harness';

const cb = 'https://app.example.test/cb';

describe('resource servers, permission groups and what users hold', () => {
  const t = useTestServer();
  let slug: string;
  let api: { identifier: string; id: string };
  let app: { clientId: string; secret: string };

  beforeAll(async () => {
    ({ slug } = await t.given.tenant());
    api = await t.given.resourceServer(slug, {
      baseUrls: ['https://api.example.test/orders', 'https://api.example.test/invoices'],
      scopes: [
        { name: 'orders:read', description: 'Read' },
        { name: 'orders:write', description: 'Write' },
        { name: 'orders:admin', description: 'Admin' },
      ],
      permissionGroups: [
        { name: 'order-clerk', scopes: ['orders:read', 'orders:write'] },
        { name: 'viewer', scopes: ['orders:read'] },
      ],
    });
    app = await t.given.app(slug, {
      grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
      redirectUris: [cb],
      grants: [
        { resourceServer: api.identifier, permissionGroups: ['order-clerk'], flows: ['user'] },
        { resourceServer: api.identifier, scopes: ['orders:read'], flows: ['client_credentials'] },
      ].slice(0, 1),
    });
  });

  const signIn = async (user: { email: string; password: string }, scope?: string) => {
    const s = await authorize(t, slug, {
      clientId: app.clientId,
      redirectUri: cb,
      email: user.email,
      password: user.password,
      scope,
    });
    return (
      await t.token(
        slug,
        {
          grant_type: 'authorization_code',
          code: s.code,
          redirect_uri: cb,
          code_verifier: s.verifier!,
        },
        app,
      )
    ).body;
  };

  it('gives a user token requested ∩ granted to the application ∩ held by the user', async () => {
    const viewer = await t.given.user(slug, {
      permissions: [{ resourceServer: api.identifier, permissionGroups: ['viewer'] }],
    });
    const tokens = await signIn(viewer, 'orders:read orders:write');
    expect(claims(tokens.access_token).scope).toBe('orders:read');
    expect(tokens.scope).toBe('orders:read'); // the response says what was granted
    const nobody = await t.given.user(slug);
    expect(claims((await signIn(nobody)).access_token).scope).toBe('');
  });

  it('applies a change of the user’s permission groups at the next refresh', async () => {
    const user = await t.given.user(slug, {
      permissions: [{ resourceServer: api.identifier, permissionGroups: ['viewer'] }],
    });
    const tokens = await signIn(user, 'orders:read orders:write');
    expect(claims(tokens.access_token).scope).toBe('orders:read');
    const put = await t.json(
      'PUT',
      `/admin/api/tenants/${slug}/users/${user.id}/permissions`,
      [{ resourceServer: api.identifier, permissionGroups: ['order-clerk'] }],
      await t.adminToken(),
    );
    expect(put.status).toBe(200);
    expect(put.body).toEqual([
      { resourceServer: api.identifier, permissionGroups: ['order-clerk'], scopes: [] },
    ]);
    const more = await t.token(
      slug,
      { grant_type: 'refresh_token', refresh_token: tokens.refresh_token },
      app,
    );
    expect(claims(more.body.access_token).scope).toBe('orders:read orders:write');
    await t.json(
      'PUT',
      `/admin/api/tenants/${slug}/users/${user.id}/permissions`,
      [],
      await t.adminToken(),
    );
    const less = await t.token(
      slug,
      { grant_type: 'refresh_token', refresh_token: more.body.refresh_token },
      app,
    );
    expect(claims(less.body.access_token).scope).toBe('');
  });

  it('stops issuing a deleted scope and refuses unknown groups, scopes and servers with 400 naming the field', async () => {
    const user = await t.given.user(slug, {
      permissions: [{ resourceServer: api.identifier, scopes: ['orders:read', 'orders:write'] }],
    });
    const bad = await t.json(
      'PUT',
      `/admin/api/tenants/${slug}/users/${user.id}/permissions`,
      [
        { resourceServer: api.identifier, permissionGroups: ['nope'], scopes: ['orders:nope'] },
        { resourceServer: 'https://unknown.example/' },
      ],
      await t.adminToken(),
    );
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual([
      '/0/permissionGroups/0',
      '/0/scopes/0',
      '/1/resourceServer',
    ]);
    const current = (
      await t.get(`/admin/api/tenants/${slug}/resource-servers/${api.id}`, await t.adminToken())
    ).body;
    const replaced = await t.json(
      'PUT',
      `/admin/api/tenants/${slug}/resource-servers/${api.id}`,
      {
        identifier: current.identifier,
        name: current.name,
        baseUrls: current.baseUrls,
        scopes: current.scopes.filter((s: { name: string }) => s.name !== 'orders:write'),
        permissionGroups: [
          { name: 'order-clerk', scopes: ['orders:read'] },
          { name: 'viewer', scopes: ['orders:read'] },
        ],
      },
      await t.adminToken(),
    );
    expect(replaced.status).toBe(200);
    const tokens = await signIn(user, 'orders:read orders:write');
    expect(claims(tokens.access_token).scope).toBe('orders:read');
  });

  it('lets two tenants register the same identifier; the audience is the same string, the issuers differ', async () => {
    const other = await t.given.tenant();
    const res = await t.json(
      'POST',
      `/admin/api/tenants/${other.slug}/resource-servers`,
      { identifier: api.identifier, name: 'Same URI elsewhere' },
      await t.adminToken(),
    );
    expect(res.status).toBe(201);
    const again = await t.json(
      'POST',
      `/admin/api/tenants/${slug}/resource-servers`,
      { identifier: api.identifier, name: 'dup' },
      await t.adminToken(),
    );
    expect(again.status).toBe(409);
  });

  it('applies a resource server’s access-token lifetime and its refusal of offline access', async () => {
    const rs = await t.given.resourceServer(slug, {
      scopes: [{ name: 'p', description: '' }],
      accessTokenTtl: '1m',
      allowsOfflineAccess: false,
    });
    const a = await t.given.app(slug, {
      grantTypes: ['authorization_code', 'refresh_token'],
      redirectUris: [cb],
      grants: [{ resourceServer: rs.identifier, scopes: ['p'], flows: ['user'] }],
    });
    const user = await t.given.user(slug, {
      permissions: [{ resourceServer: rs.identifier, scopes: ['p'] }],
    });
    const s = await authorize(t, slug, {
      clientId: a.clientId,
      redirectUri: cb,
      email: user.email,
      password: user.password,
    });
    const tokens = (
      await t.token(
        slug,
        {
          grant_type: 'authorization_code',
          code: s.code,
          redirect_uri: cb,
          code_verifier: s.verifier!,
        },
        a,
      )
    ).body;
    expect(tokens.expires_in).toBe(60);
    expect(tokens.refresh_token).toBeUndefined();
  });

  it('protects the built-in resource servers (admin API, account API) from changes, in every tenant', async () => {
    const { slug } = await t.given.tenant();
    const root = await t.adminToken();
    for (const tenant of ['system', slug]) {
      const list = (await t.get(`/admin/api/tenants/${tenant}/resource-servers`, root)).body;
      const builtIn = list.filter((r: { isSystem: boolean }) => r.isSystem);
      expect(builtIn.map((r: { identifier: string }) => r.identifier).sort()).toEqual([
        'urn:tessera:account',
        'urn:tessera:admin-api',
        'urn:tessera:ssf',
      ]);
      for (const rs of builtIn) {
        const path = `/admin/api/tenants/${tenant}/resource-servers/${rs.id}`;
        expect((await t.json('DELETE', path, undefined, root)).status).toBe(403);
        const put = await t.json('PUT', path, { ...rs, name: 'changed', scopes: [] }, root);
        expect(put.status).toBeGreaterThanOrEqual(400);
        expect((await t.get(path, root)).body.scopes).toEqual(rs.scopes);
      }
    }
  });

  it('keeps what a user holds at a built-in API out of the permissions editor: the role decides', async () => {
    const { slug } = await t.given.tenant();
    const admin = await t.given.user(slug, { roles: ['admin'] });
    const root = await t.adminToken();
    const path = `/admin/api/tenants/${slug}/users/${admin.id}/permissions`;
    const put = await t.json(
      'PUT',
      path,
      [{ resourceServer: 'urn:tessera:admin-api', scopes: ['admin:tenants:read'] }],
      root,
    );
    expect(put.status).toBe(400);
    expect(put.body.errors).toEqual([
      { pointer: '/0/resourceServer', detail: expect.stringContaining('built in') },
    ]);
    // replacing the user's other permissions leaves the admin API's scopes with the role
    expect((await t.json('PUT', path, [], root)).status).toBe(200);
    const held = (await t.get(path, root)).body;
    expect(held).toEqual([
      expect.objectContaining({
        resourceServer: 'urn:tessera:admin-api',
        scopes: expect.arrayContaining(['admin:users:write']),
      }),
    ]);
  });
});
