import type { INestApplication } from '@nestjs/common';
import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { request } from 'node:http';
import { OrdersService } from '../src/orders';
import { ordersConfig, startOrders } from '../src/app';
import {
  authorize,
  basic,
  eventually,
  freePort,
  send,
  useTestServer,
} from '../../server/test/support/harness';

const cb = 'https://app.example.test/cb';
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const claims = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());

describe('the guard library protecting apps/example-orders against a real Tessera', () => {
  const t = useTestServer();
  let slug: string;
  let audience: string;
  let web: { clientId: string; secret: string };
  let readerToken: string;
  let writerToken: string;
  let orders: INestApplication;
  let url: string;
  let user: { email: string; password: string };

  const signIn = async (scope: string) => {
    const s = await authorize(t, slug, {
      clientId: web.clientId,
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
        web,
      )
    ).body;
  };
  const get = (token?: string, headers: Record<string, string> = {}) =>
    send(`${url}/orders`, {
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    });
  const handled = () => orders.get(OrdersService).handled;

  beforeAll(async () => {
    ({ slug } = await t.given.tenant());
    audience = (
      await t.given.resourceServer(slug, {
        identifier: 'https://orders.example.test',
        scopes: [
          { name: 'orders:read', description: '' },
          { name: 'orders:write', description: '' },
        ],
      })
    ).identifier;
    web = await t.given.app(slug, {
      grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
      redirectUris: [cb],
      grants: [
        {
          resourceServer: audience,
          scopes: ['orders:read', 'orders:write'],
          flows: ['user', 'client_credentials'],
        },
      ],
    });
    user = await t.given.user(slug, {
      permissions: [{ resourceServer: audience, scopes: ['orders:read', 'orders:write'] }],
    });
    readerToken = (await signIn('orders:read')).access_token;
    writerToken = (await signIn('orders:read orders:write')).access_token;
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    orders = await startOrders(
      ordersConfig({
        PORT: String(port),
        TESSERA_ISSUER: t.issuer(slug),
        TESSERA_AUDIENCE: audience,
        TESSERA_CLIENT_ID: web.clientId,
        TESSERA_CLIENT_SECRET: web.secret,
      }),
    );
    await eventually(async () => expect((await send(`${url}/healthz`)).status).toBe(200), 10000);
  });
  afterAll(async () => orders?.close());

  it('lets orders:read read and not write; orders:write writes', async () => {
    expect((await get(readerToken)).status).toBe(200);
    const refused = await send(`${url}/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${readerToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ item: 'tea', quantity: 1 }),
    });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('www-authenticate')).toBe(
      'Bearer error="insufficient_scope", scope="orders:write"',
    );
    const created = await send(`${url}/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${writerToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ item: 'tea', quantity: 2 }),
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ item: 'tea', quantity: 2 });
    expect((await get(readerToken)).body).toHaveLength(1);
  });

  it('answers a missing token with a bare Bearer challenge, and a DPoP one (RFC 9449 §7.1)', async () => {
    const before = handled();
    const res = await get();
    expect(res.status).toBe(401);
    // two WWW-Authenticate fields, which fetch joins: the bare Bearer challenge is unchanged
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer, DPoP algs="ES256 EdDSA Ed25519 ES384 ES512 PS256 PS384 PS512 RS256 RS384 RS512"',
    );
    expect(handled()).toBe(before);
  });

  describe('refuses with 401 invalid_token, and the handler never runs', () => {
    const forge = (
      header: Record<string, unknown>,
      payload: Record<string, unknown>,
      signature = '',
    ) => `${b64(header)}.${b64(payload)}.${signature}`;
    const cases: Array<[string, () => Promise<string>]> = [
      ['garbage', async () => 'not.a.token'],
      ['alg none', async () => forge({ alg: 'none', typ: 'at+jwt' }, claims(readerToken))],
      ['alg NONE', async () => forge({ alg: 'NONE', typ: 'at+jwt' }, claims(readerToken))],
      [
        'HS256 signed with the tenant’s public key',
        async () => {
          const jwk = (await send(`${t.issuer(slug)}/jwks.json`)).body.keys[0];
          const input = `${b64({ alg: 'HS256', typ: 'at+jwt', kid: jwk.kid })}.${b64(claims(readerToken))}`;
          return `${input}.${createHmac('sha256', JSON.stringify(jwk)).update(input).digest('base64url')}`;
        },
      ],
      [
        'an embedded attacker jwk',
        async () => {
          const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
          const input = `${b64({ alg: 'ES256', typ: 'at+jwt', jwk: publicKey.export({ format: 'jwk' }) })}.${b64(claims(readerToken))}`;
          return `${input}.${sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
        },
      ],
      [
        'a tampered payload',
        async () => {
          const [h, , s] = readerToken.split('.');
          return `${h}.${b64({ ...claims(readerToken), scope: 'orders:read orders:write' })}.${s}`;
        },
      ],
      [
        'a signature from another token',
        async () => `${readerToken.split('.').slice(0, 2).join('.')}.${writerToken.split('.')[2]}`,
      ],
      [
        'another audience',
        async () =>
          (await t.token(slug, { grant_type: 'client_credentials', resource: other }, web)).body
            .access_token,
      ],
      [
        'another tenant',
        async () => {
          const o = await t.given.tenant();
          const rs = await t.given.resourceServer(o.slug, {
            identifier: 'https://orders.example.test',
            scopes: [{ name: 'orders:read', description: '' }],
          });
          const app = await t.given.app(o.slug, {
            grants: [
              {
                resourceServer: rs.identifier,
                scopes: ['orders:read'],
                flows: ['client_credentials'],
              },
            ],
          });
          return (await t.token(o.slug, { grant_type: 'client_credentials' }, app)).body
            .access_token;
        },
      ],
      ['an ID token (typ JWT)', async () => (await signIn('openid orders:read')).id_token],
    ];
    let other: string;
    beforeAll(async () => {
      other = (await t.given.resourceServer(slug, { scopes: [{ name: 'x', description: '' }] }))
        .identifier;
      await t.json(
        'PATCH',
        `/admin/api/tenants/${slug}/applications/${web.clientId}`,
        {
          grants: [
            {
              resourceServer: audience,
              scopes: ['orders:read', 'orders:write'],
              flows: ['user', 'client_credentials'],
            },
            { resourceServer: other, scopes: ['x'], flows: ['client_credentials'] },
          ],
        },
        await t.adminToken(),
      );
    });
    it.each(cases)('%s', async (_name, make) => {
      const token = await make();
      const before = handled();
      const res = await get(token);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
      expect(res.text).not.toMatch(/alg|signature|audience|expired|kid/i);
      expect(handled()).toBe(before);
    });
  });

  it('never reads a token from the query string, and refuses two Authorization headers', async () => {
    expect((await send(`${url}/orders?access_token=${readerToken}`)).status).toBe(401);
    const raw = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${url}/orders`,
        {
          // a flat [name, value, name, value] list sends the header twice (and no Host unless named)
          headers: [
            'host',
            new URL(url).host,
            'authorization',
            `Bearer ${readerToken}`,
            'authorization',
            `Bearer ${readerToken}`,
          ],
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(raw).toBe(401); // Node passes both on; the guard refuses the pair
  });

  it('accepts old and new tokens across a key rotation', async () => {
    const before = (await signIn('orders:read')).access_token;
    expect(
      (
        await t.json(
          'POST',
          `/admin/api/tenants/${slug}/keys/rotate`,
          { force: true },
          await t.adminToken(),
        )
      ).status,
    ).toBe(200);
    const after = (await signIn('orders:read')).access_token;
    expect(JSON.parse(Buffer.from(after.split('.')[0], 'base64url').toString()).kid).not.toBe(
      JSON.parse(Buffer.from(before.split('.')[0], 'base64url').toString()).kid,
    );
    expect((await get(before)).status).toBe(200);
    expect((await get(after)).status).toBe(200);
  });

  it('refuses a still-unexpired JWT once an admin revoked its session (after the feed event arrived)', async () => {
    const s = await signIn('orders:read');
    expect((await get(s.access_token)).status).toBe(200);
    const sid = claims(s.access_token).sid;
    await t.revokeSession(slug, sid);
    await eventually(async () => expect((await get(s.access_token)).status).toBe(401), 2000);
    expect(claims(s.access_token).exp * 1000).toBeGreaterThan(Date.now()); // not expired: refused because revoked
  });

  it('refuses an access token revoked through RFC 7009', async () => {
    const s = await signIn('orders:read');
    await send(`${t.issuer(slug)}/revoke`, {
      method: 'POST',
      headers: {
        authorization: basic(web.clientId, web.secret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token: s.access_token }).toString(),
    });
    await eventually(async () => expect((await get(s.access_token)).status).toBe(401), 2000);
  });

  it('reports its health: JWKS loaded and the feed connected', async () => {
    const res = await send(`${url}/healthz`);
    expect(res.status).toBe(200);
    expect(res.body.info.tessera).toMatchObject({
      status: 'up',
      mode: 'jwt+feed',
      feedConnected: true,
    });
  });
});

describe('the guard in introspection mode', () => {
  const t = useTestServer();

  it('validates through the introspection endpoint and fails closed when it is away', async () => {
    const { slug } = await t.given.tenant();
    const audience = (
      await t.given.resourceServer(slug, { scopes: [{ name: 'orders:read', description: '' }] })
    ).identifier;
    const app = await t.given.app(slug, {
      grants: [
        { resourceServer: audience, scopes: ['orders:read'], flows: ['client_credentials'] },
      ],
    });
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const svc = await startOrders(
      ordersConfig({
        PORT: String(port),
        TESSERA_ISSUER: t.issuer(slug),
        TESSERA_AUDIENCE: audience,
        TESSERA_CLIENT_ID: app.clientId,
        TESSERA_CLIENT_SECRET: app.secret,
        TESSERA_MODE: 'introspection',
      }),
    );
    try {
      const token = (await t.token(slug, { grant_type: 'client_credentials' }, app)).body
        .access_token;
      expect(
        (await send(`${url}/orders`, { headers: { authorization: `Bearer ${token}` } })).status,
      ).toBe(200);
      const fresh = (await t.token(slug, { grant_type: 'client_credentials' }, app)).body
        .access_token;
      // the issuer goes away: a token it never confirmed is refused, not accepted
      const unreachable = await startOrders(
        ordersConfig({
          PORT: String(await freePort()),
          TESSERA_ISSUER: 'http://127.0.0.1:9/t/none',
          TESSERA_AUDIENCE: audience,
          TESSERA_CLIENT_ID: 'x',
          TESSERA_CLIENT_SECRET: 'y',
          TESSERA_MODE: 'introspection',
        }),
      );
      const addr = unreachable.getHttpServer().address() as { port: number };
      const res = await send(`http://127.0.0.1:${addr.port}/orders`, {
        headers: { authorization: `Bearer ${fresh}` },
      });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      await unreachable.close();
    } finally {
      await svc.close();
    }
  });
});
