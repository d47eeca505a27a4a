import { useTestServer } from '../support/harness';

describe('applications (OAuth clients)', () => {
  const t = useTestServer();
  let slug: string;
  let rs: string;
  let token: string;

  beforeAll(async () => {
    ({ slug } = await t.given.tenant({ policy: { accessTokenTtl: '10m' } }));
    rs = (await t.given.resourceServer(slug, { scopes: [{ name: 'a', description: '' }] }))
      .identifier;
    token = await t.adminToken();
  });

  const create = (body: Record<string, unknown>) =>
    t.json(
      'POST',
      `/admin/api/tenants/${slug}/applications`,
      { name: 'App', type: 'confidential', grantTypes: ['client_credentials'], ...body },
      token,
    );

  it('shows a generated secret once and keeps only its HMAC', async () => {
    const res = await create({
      grants: [{ resourceServer: rs, scopes: ['a'], flows: ['client_credentials'] }],
    });
    expect(res.status).toBe(201);
    const { clientSecret, application } = res.body;
    expect(clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const got = await t.get(
      `/admin/api/tenants/${slug}/applications/${application.clientId}`,
      token,
    );
    expect(got.text).not.toContain(clientSecret);
    expect(Object.keys(got.body)).not.toContain('clientSecret');
    const list = await t.get(`/admin/api/tenants/${slug}/applications`, token);
    expect(list.text).not.toContain(clientSecret);
    const rows = await t.sql(`SELECT * FROM applications WHERE client_id = $1`, [
      application.clientId,
    ]);
    expect(JSON.stringify(rows)).not.toContain(clientSecret);
    expect(rows[0].secret_hash).toHaveLength(32);
    expect(
      (
        await t.token(
          slug,
          { grant_type: 'client_credentials' },
          { clientId: application.clientId, secret: clientSecret },
        )
      ).status,
    ).toBe(200);
  });

  it('regenerates the secret: the new one works, the old one stops at once', async () => {
    const { body } = await create({
      grants: [{ resourceServer: rs, scopes: ['a'], flows: ['client_credentials'] }],
    });
    const old = body.clientSecret;
    const res = await t.json(
      'POST',
      `/admin/api/tenants/${slug}/applications/${body.application.clientId}/secret`,
      undefined,
      token,
    );
    expect(res.status).toBe(200);
    expect(res.body.clientSecret).not.toBe(old);
    expect(
      (
        await t.token(
          slug,
          { grant_type: 'client_credentials' },
          { clientId: body.application.clientId, secret: old },
        )
      ).status,
    ).toBe(401);
    expect(
      (
        await t.token(
          slug,
          { grant_type: 'client_credentials' },
          { clientId: body.application.clientId, secret: res.body.clientSecret },
        )
      ).status,
    ).toBe(200);
  });

  it('shows the overrides and the effective policy with the tenant’s defaults', async () => {
    const res = await create({
      policy: { accessTokenTtl: '2m', rotation: false, reuseGraceSeconds: 0 },
    });
    expect(res.status).toBe(201);
    expect(res.body.application.policy).toEqual({
      accessTokenTtl: '2m',
      rotation: false,
      reuseGraceSeconds: 0,
    });
    expect(res.body.application.effectivePolicy).toEqual({
      accessTokenTtl: '2m',
      refreshIdleTtl: '14d',
      refreshAbsoluteTtl: '90d',
      sessionIdleTtl: '14d',
      sessionAbsoluteTtl: '90d',
      sliding: true,
      rotation: false,
      reuseGraceSeconds: 0,
      onReuse: 'revoke-session',
    });
  });

  it.each([
    [{ policy: { accessTokenTtl: '91d' } }, '/policy/accessTokenTtl'],
    [{ policy: { refreshAbsoluteTtl: '100d' } }, '/policy/refreshAbsoluteTtl'],
    [
      {
        policy: {
          sessionIdleTtl: '30d',
          sessionAbsoluteTtl: '20d',
          refreshAbsoluteTtl: '20d',
          refreshIdleTtl: '1d',
        },
      },
      '/policy/sessionIdleTtl',
    ],
    [{ policy: { accessTokenTtl: '15 minutes' } }, '/policy/accessTokenTtl'],
    [{ policy: { reuseGraceSeconds: -1 } }, '/policy/reuseGraceSeconds'],
    [{ policy: { onReuse: 'shrug' } }, '/policy/onReuse'],
    [
      { redirectUris: ['http://evil.example/cb'], grantTypes: ['authorization_code'] },
      '/redirectUris/0',
    ],
    [
      { redirectUris: ['https://app.example/cb#frag'], grantTypes: ['authorization_code'] },
      '/redirectUris/0',
    ],
    [
      { redirectUris: ['https://user@app.example/cb'], grantTypes: ['authorization_code'] },
      '/redirectUris/0',
    ],
    [{ grantTypes: ['authorization_code'] }, '/redirectUris'],
    [{ type: 'public', grantTypes: ['client_credentials'] }, '/grantTypes'],
    [{ grantTypes: ['password'] }, '/grantTypes/0'],
    [{ clientId: '123e4567-e89b-12d3-a456-426614174000' }, '/clientId'],
    [{ clientSecret: 'short' }, '/clientSecret'],
    [{ backchannelLogoutUri: 'http://127.0.0.1/logout' }, '/backchannelLogoutUri'],
    [{ backchannelLogoutUri: 'https://169.254.169.254/latest' }, '/backchannelLogoutUri'],
    [{ backchannelLogoutUri: 'https://localhost/logout' }, '/backchannelLogoutUri'],
    [{ backchannelLogoutUri: 'http://rp.example.com/logout' }, '/backchannelLogoutUri'],
    [{ backchannelLogoutUri: 'https://rp.example.com/logout#x' }, '/backchannelLogoutUri'],
    [
      {
        grants: [
          {
            resourceServer: 'https://nowhere.example/',
            scopes: ['a'],
            flows: ['client_credentials'],
          },
        ],
      },
      '/grants/0/resourceServer',
    ],
    [{ defaultResource: 'https://nowhere.example/' }, '/defaultResource'],
  ])('refuses %j with 400 naming %s', async (body, pointer) => {
    const res = await create(body);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
    expect(res.body.errors.every((e: { detail: string }) => e.detail.length > 5)).toBe(true);
  });

  it('accepts an https back-channel logout URI on a public host', async () => {
    const res = await create({ backchannelLogoutUri: 'https://rp.example.com/backchannel' });
    expect(res.status).toBe(201);
    expect(res.body.application.backchannelLogoutUri).toBe('https://rp.example.com/backchannel');
  });

  it('answers 409 for a client id already taken in the tenant, but allows it in another tenant', async () => {
    const first = await create({ clientId: 'duplicate-me' });
    expect(first.status).toBe(201);
    const again = await create({ clientId: 'duplicate-me' });
    expect(again.status).toBe(409);
    expect(again.body.errors).toEqual([{ pointer: '/clientId', detail: 'Already taken' }]);
    const other = await t.given.tenant();
    expect(
      (
        await t.json(
          'POST',
          `/admin/api/tenants/${other.slug}/applications`,
          {
            clientId: 'duplicate-me',
            name: 'x',
            type: 'confidential',
            grantTypes: ['client_credentials'],
          },
          token,
        )
      ).status,
    ).toBe(201);
  });

  it('updates what a PATCH names and deletes an application', async () => {
    const { body } = await create({ clientId: 'patch-me' });
    const res = await t.json(
      'PATCH',
      `/admin/api/tenants/${slug}/applications/patch-me`,
      { name: 'Renamed', policy: { accessTokenTtl: '1m' } },
      token,
    );
    expect(res.status).toBe(200);
    expect(res.body.name).toBe('Renamed');
    expect(res.body.effectivePolicy.accessTokenTtl).toBe('1m');
    expect(res.body.createdAt).toBe(body.application.createdAt);
    expect(
      (await t.json('DELETE', `/admin/api/tenants/${slug}/applications/patch-me`, undefined, token))
        .status,
    ).toBe(204);
    expect((await t.get(`/admin/api/tenants/${slug}/applications/patch-me`, token)).status).toBe(
      404,
    );
    expect(await t.sql(`SELECT 1 FROM applications WHERE client_id = 'patch-me'`)).toEqual([]);
  });

  it('uses the application’s access token lifetime', async () => {
    const { body } = await create({
      policy: { accessTokenTtl: '45s' },
      grants: [{ resourceServer: rs, scopes: ['a'], flows: ['client_credentials'] }],
    });
    const res = await t.token(
      slug,
      { grant_type: 'client_credentials' },
      { clientId: body.application.clientId, secret: body.clientSecret },
    );
    expect(res.body.expires_in).toBe(45);
  });
});

describe('applications with TESSERA_ALLOW_PRIVATE_URIS=1', () => {
  const t = useTestServer({ env: { TESSERA_ALLOW_PRIVATE_URIS: '1' } });

  it('accepts a loopback back-channel logout URI, and warns at start', async () => {
    const { slug } = await t.given.tenant();
    const res = await t.json(
      'POST',
      `/admin/api/tenants/${slug}/applications`,
      {
        name: 'Dev',
        type: 'confidential',
        grantTypes: ['client_credentials'],
        backchannelLogoutUri: 'http://127.0.0.1:9999/logout',
      },
      await t.adminToken(),
    );
    expect(res.status).toBe(201);
    expect(t.logs.text()).toContain('TESSERA_ALLOW_PRIVATE_URIS is on');
  });
});
