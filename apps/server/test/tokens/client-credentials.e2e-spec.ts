import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { basic, form, send, useTestServer } from '../support/harness';

describe('token endpoint: client_credentials (RFC 6749 §4.4, RFC 9068)', () => {
  const t = useTestServer();
  let slug: string;
  let orders: string;
  let billing: string;
  let app: { clientId: string; secret: string };

  beforeAll(async () => {
    ({ slug } = await t.given.tenant());
    orders = (
      await t.given.resourceServer(slug, {
        scopes: [
          { name: 'orders:read', description: 'Read orders' },
          { name: 'orders:write', description: 'Write orders' },
          { name: 'orders:admin', description: 'Not granted' },
        ],
        permissionGroups: [{ name: 'order-clerk', scopes: ['orders:read', 'orders:write'] }],
      })
    ).identifier;
    billing = (
      await t.given.resourceServer(slug, { scopes: [{ name: 'billing:read', description: '' }] })
    ).identifier;
    app = await t.given.app(slug, {
      grants: [
        {
          resourceServer: orders,
          permissionGroups: ['order-clerk'],
          flows: ['client_credentials'],
        },
        { resourceServer: billing, scopes: ['billing:read'], flows: ['client_credentials'] },
      ],
      defaultResource: orders,
    });
  });

  it('issues an at+jwt token that verifies with jose against the published JWKS', async () => {
    const res = await t.token(
      slug,
      { grant_type: 'client_credentials' },
      { clientId: app.clientId, secret: app.secret },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 300,
      scope: 'orders:read orders:write',
    });
    const jwks = createRemoteJWKSet(new URL(`${t.issuer(slug)}/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(res.body.access_token, jwks, {
      issuer: t.issuer(slug),
      audience: orders,
      typ: 'at+jwt',
      algorithms: ['ES256'],
    });
    expect(protectedHeader).toEqual({ typ: 'at+jwt', alg: 'ES256', kid: expect.any(String) });
    expect(payload).toEqual({
      iss: t.issuer(slug),
      sub: app.clientId,
      aud: orders,
      exp: expect.any(Number),
      iat: expect.any(Number),
      jti: expect.any(String),
      client_id: app.clientId,
      scope: 'orders:read orders:write',
    });
    expect(payload.exp! - payload.iat!).toBe(300);
  });

  it('accepts client_secret_post as well as client_secret_basic', async () => {
    const res = await t.token(slug, {
      grant_type: 'client_credentials',
      client_id: app.clientId,
      client_secret: app.secret,
    });
    expect(res.status).toBe(200);
  });

  it('gives requested ∩ granted scopes and says so', async () => {
    const res = await t.token(
      slug,
      { grant_type: 'client_credentials', scope: 'orders:read orders:admin' },
      { clientId: app.clientId, secret: app.secret },
    );
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe('orders:read');
    const claims = JSON.parse(
      Buffer.from(res.body.access_token.split('.')[1], 'base64url').toString(),
    );
    expect(claims.scope).toBe('orders:read');
  });

  it('refuses scopes of which nothing is granted with invalid_scope', async () => {
    const res = await t.token(
      slug,
      { grant_type: 'client_credentials', scope: 'orders:admin' },
      { clientId: app.clientId, secret: app.secret },
    );
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'invalid_scope', error_description: expect.any(String) });
  });

  it('binds the token to the requested resource (RFC 8707) with that resource’s scopes only', async () => {
    const res = await t.token(
      slug,
      { grant_type: 'client_credentials', resource: billing },
      { clientId: app.clientId, secret: app.secret },
    );
    expect(res.status).toBe(200);
    const claims = JSON.parse(
      Buffer.from(res.body.access_token.split('.')[1], 'base64url').toString(),
    );
    expect(claims.aud).toBe(billing);
    expect(claims.scope).toBe('billing:read');
  });

  it.each([
    ['a relative resource', ['/orders']],
    ['a resource with a fragment', ['https://api.example.test/x#frag']],
    ['an unknown resource', ['https://unknown.example.test/']],
    ['two resources', ['https://a.example.test/', 'https://b.example.test/']],
  ])('answers invalid_target for %s and issues nothing', async (_name, resource) => {
    const res = await t.token(
      slug,
      { grant_type: 'client_credentials', resource },
      { clientId: app.clientId, secret: app.secret },
    );
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'invalid_target', error_description: expect.any(String) });
    expect(res.text).not.toContain('access_token');
  });

  it('answers the same invalid_client for a wrong secret and an unknown client, with a Basic challenge', async () => {
    const wrong = await t.token(
      slug,
      { grant_type: 'client_credentials' },
      { clientId: app.clientId, secret: 'not-the-secret-not-the-secret-000' },
    );
    const unknown = await t.token(
      slug,
      { grant_type: 'client_credentials' },
      { clientId: 'nobody-here', secret: 'not-the-secret-not-the-secret-000' },
    );
    for (const res of [wrong, unknown]) {
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
    expect(wrong.text).toBe(unknown.text);
    expect(wrong.body).toEqual({
      error: 'invalid_client',
      error_description: 'Client authentication failed',
    });
  });

  it('decodes Basic credentials per RFC 6749 Appendix B', async () => {
    const clientId = `odd.id~_-${Date.now()}`;
    const secret = 'p%ss:w&rd+with spaces and more than 32 characters';
    await t.given.app(slug, {
      clientId,
      clientSecret: secret,
      grants: [{ resourceServer: orders, scopes: ['orders:read'], flows: ['client_credentials'] }],
    });
    const res = await t.token(slug, { grant_type: 'client_credentials' }, { clientId, secret });
    expect(res.status).toBe(200);
  });

  it.each([
    ['not base64', 'Basic !!!!'],
    ['no colon', `Basic ${Buffer.from('justanid').toString('base64')}`],
    ['an empty Basic', 'Basic'],
    ['an 8 KB value', `Basic ${'A'.repeat(8192)}`],
    ['another scheme', 'Digest abc'],
  ])('answers invalid_client for malformed Basic: %s', async (_n, authorization) => {
    const res = await send(`${t.issuer(slug)}/token`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
  });

  it('refuses two authentication methods at once (RFC 6749 §2.3)', async () => {
    const res = await send(`${t.issuer(slug)}/token`, {
      method: 'POST',
      headers: {
        authorization: basic(app.clientId, app.secret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: form({ grant_type: 'client_credentials', client_secret: app.secret }),
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
    expect(res.text).not.toContain(app.secret);
  });

  it('refuses a body client_id that differs from the Basic one', async () => {
    const res = await t.token(
      slug,
      { grant_type: 'client_credentials', client_id: 'someone-else' },
      { clientId: app.clientId, secret: app.secret },
    );
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
  });

  it('refuses a repeated parameter (RFC 6749 §3.2)', async () => {
    const res = await send(`${t.issuer(slug)}/token`, {
      method: 'POST',
      headers: {
        authorization: basic(app.clientId, app.secret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials&grant_type=client_credentials',
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
  });

  it('refuses a JSON body, a GET, and an oversized body without a 500', async () => {
    const json = await send(`${t.issuer(slug)}/token`, {
      method: 'POST',
      headers: {
        authorization: basic(app.clientId, app.secret),
        'content-type': 'application/json',
      },
      body: '{"grant_type":"client_credentials"}',
    });
    expect(json.status).toBe(400);
    expect(json.body.error).toBe('invalid_request');
    const get = await send(`${t.issuer(slug)}/token`);
    expect(get.status).toBe(405);
    const big = await send(`${t.issuer(slug)}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=client_credentials&x=${'a'.repeat(1024 * 1024)}`,
    });
    expect(big.status).toBe(413);
    expect(big.text).not.toMatch(/at .*\.js/);
  });

  it('answers unsupported_grant_type for password and unknown grants', async () => {
    for (const grant_type of ['password', 'urn:example:nope']) {
      const res = await t.token(
        slug,
        { grant_type },
        { clientId: app.clientId, secret: app.secret },
      );
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('unsupported_grant_type');
    }
  });

  it('refuses client_credentials to a public client and to a client without that grant type', async () => {
    const pub = await t.json(
      'POST',
      `/admin/api/tenants/${slug}/applications`,
      {
        name: 'SPA',
        type: 'public',
        grantTypes: ['authorization_code'],
        redirectUris: ['https://spa.example.test/cb'],
      },
      await t.adminToken(),
    );
    expect(pub.status).toBe(201);
    const asPublic = await t.token(slug, {
      grant_type: 'client_credentials',
      client_id: pub.body.application.clientId,
    });
    expect(asPublic.status).toBe(400);
    expect(asPublic.body.error).toBe('unauthorized_client');
    const noGrant = await t.given.app(slug, {
      grantTypes: ['authorization_code'],
      redirectUris: ['https://app.example.test/cb'],
    });
    const res = await t.token(
      slug,
      { grant_type: 'client_credentials' },
      { clientId: noGrant.clientId, secret: noGrant.secret },
    );
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('unauthorized_client');
  });

  it('does not accept a client of another tenant', async () => {
    const other = await t.given.tenant();
    const res = await t.token(
      other.slug,
      { grant_type: 'client_credentials' },
      { clientId: app.clientId, secret: app.secret },
    );
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
  });

  it('signs with the tenant’s own key: a token of one tenant does not verify against another’s JWKS', async () => {
    const other = await t.given.tenant();
    const res = await t.token(
      slug,
      { grant_type: 'client_credentials' },
      { clientId: app.clientId, secret: app.secret },
    );
    const kid = decodeProtectedHeader(res.body.access_token).kid;
    const otherJwks = (await send(`${other.issuer}/jwks.json`)).body;
    expect(otherJwks.keys.map((k: { kid: string }) => k.kid)).not.toContain(kid);
    await expect(
      jwtVerify(res.body.access_token, createRemoteJWKSet(new URL(`${other.issuer}/jwks.json`))),
    ).rejects.toThrow();
  });

  it('answers a NUL byte anywhere with a 4xx in the OAuth shape, never a 500', async () => {
    const inBody = await send(`${t.issuer(slug)}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&client_id=%00',
    });
    expect(inBody.status).toBe(400);
    expect(inBody.body.error).toBe('invalid_request');
    const inBasic = await send(`${t.issuer(slug)}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from('%00a:b').toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    expect(inBasic.status).toBe(401);
    const inPath = await send(`${t.url}/t/%00/jwks.json`);
    expect(inPath.status).toBe(404);
    const inScope = await t.token(
      slug,
      { grant_type: 'client_credentials', scope: 'a\u0000b' },
      { clientId: app.clientId, secret: app.secret },
    );
    expect(inScope.status).toBe(400);
  });

  it('does not grow memory or query for slugs that cannot exist', async () => {
    const res = await send(`${t.url}/t/${'Z'.repeat(4000)}/jwks.json`);
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: 'invalid_request', error_description: 'Unknown issuer' });
  });
});
