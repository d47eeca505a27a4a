import type { INestApplication } from '@nestjs/common';
import * as oidc from 'openid-client';
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
  type JWK,
} from 'jose';
import { createHash, randomUUID } from 'node:crypto';
import { KeysService } from '../../server/src/keys';
import { OrdersService } from '../src/orders';
import { ordersConfig, startOrders } from '../src/app';
import { formOf } from '../../server/test/support/browser';
import {
  authorize,
  Browser,
  claims,
  eventually,
  freePort,
  send,
  useTestServer,
} from '../../server/test/support/harness';

const cb = 'https://app.example.test/cb';
const ALGS = 'algs="ES256 EdDSA Ed25519 ES384 ES512 PS256 PS384 PS512 RS256 RS384 RS512"';

/**
 * apps/example-orders, configured as before (jwt+feed), takes DPoP-bound tokens (RFC 9449) signed
 * by a real tenant's key next to Bearer ones, and the revocation feed ends them like any other.
 */
describe('apps/example-orders with DPoP-bound tokens of a real Tessera', () => {
  const t = useTestServer();
  let slug: string;
  let tenantId: string;
  let audience: string;
  let orders: INestApplication;
  let url: string;
  let key: { privateKey: CryptoKey; jwk: JWK; jkt: string };
  let signedIn: { access_token: string };

  /** A token of the tenant's key with the claims of a real sign-in, bound to `jkt` (RFC 9449 §6.1). */
  const bind = (token: string, jkt: string) =>
    t.server.app
      .get(KeysService)
      .sign(tenantId, { typ: 'at+jwt' }, { ...claims(token), jti: randomUUID(), cnf: { jkt } });
  const proof = (token: string, htm = 'GET') =>
    new SignJWT({
      htm,
      htu: `${url}/orders`,
      jti: randomUUID(),
      ath: createHash('sha256').update(token).digest('base64url'),
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.jwk })
      .setIssuedAt()
      .sign(key.privateKey);
  const handled = () => orders.get(OrdersService).handled;

  beforeAll(async () => {
    ({ slug, id: tenantId } = await t.given.tenant());
    audience = (
      await t.given.resourceServer(slug, {
        identifier: 'https://orders.example.test',
        scopes: [
          { name: 'orders:read', description: '' },
          { name: 'orders:write', description: '' },
        ],
      })
    ).identifier;
    const web = await t.given.app(slug, {
      grantTypes: ['authorization_code', 'refresh_token'],
      redirectUris: [cb],
      grants: [
        { resourceServer: audience, scopes: ['orders:read', 'orders:write'], flows: ['user'] },
      ],
    });
    const user = await t.given.user(slug, {
      permissions: [{ resourceServer: audience, scopes: ['orders:read', 'orders:write'] }],
    });
    const s = await authorize(t, slug, {
      clientId: web.clientId,
      redirectUri: cb,
      email: user.email,
      password: user.password,
      scope: 'orders:read orders:write',
    });
    signedIn = (
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
    const pair = await generateKeyPair('ES256', { extractable: true });
    const jwk = await exportJWK(pair.publicKey);
    key = { privateKey: pair.privateKey, jwk, jkt: await calculateJwkThumbprint(jwk, 'sha256') };
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    // the documented variables only: DPoP needs no configuration
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

  it('serves a DPoP call (read and write) and still a Bearer one', async () => {
    const token = await bind(signedIn.access_token, key.jkt);
    const read = await send(`${url}/orders`, {
      headers: { authorization: `DPoP ${token}`, dpop: await proof(token) },
    });
    expect(read.status).toBe(200);
    const created = await send(`${url}/orders`, {
      method: 'POST',
      headers: {
        authorization: `DPoP ${token}`,
        dpop: await proof(token, 'POST'),
        'content-type': 'application/json',
      },
      body: JSON.stringify({ item: 'tea', quantity: 1 }),
    });
    expect(created.status).toBe(201);
    expect(created.body.createdBy).toBe(claims(token).sub);
    const bearer = await send(`${url}/orders`, {
      headers: { authorization: `Bearer ${signedIn.access_token}` },
    });
    expect(bearer.status).toBe(200);
    expect(bearer.body).toHaveLength(1);
  });

  it('refuses the bound token as Bearer, and its proof replayed, without running the handler', async () => {
    const token = await bind(signedIn.access_token, key.jkt);
    const before = handled();
    const asBearer = await send(`${url}/orders`, { headers: { authorization: `Bearer ${token}` } });
    expect(asBearer.status).toBe(401);
    expect(asBearer.headers.get('www-authenticate')).toBe(`DPoP error="invalid_token", ${ALGS}`);
    const p = await proof(token);
    const headers = { authorization: `DPoP ${token}`, dpop: p };
    expect((await send(`${url}/orders`, { headers })).status).toBe(200);
    const replayed = await send(`${url}/orders`, { headers });
    expect(replayed.status).toBe(401);
    expect(replayed.headers.get('www-authenticate')).toBe(
      `DPoP error="invalid_dpop_proof", ${ALGS}`,
    );
    expect(handled()).toBe(before + 1);
  });

  it('refuses a bound token once an admin revoked its session (the feed event arrived)', async () => {
    const token = await bind(signedIn.access_token, key.jkt);
    const call = async () =>
      send(`${url}/orders`, {
        headers: { authorization: `DPoP ${token}`, dpop: await proof(token) },
      });
    expect((await call()).status).toBe(200);
    await t.revokeSession(slug, claims(token).sid);
    await eventually(async () => {
      const res = await call();
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe(`DPoP error="invalid_token", ${ALGS}`);
    }, 2000);
    expect(claims(token).exp * 1000).toBeGreaterThan(Date.now()); // refused because revoked
  });
  it('serves a certified client end to end: code + PKCE + DPoP at Tessera, a refresh, then the call', async () => {
    // openid-client, unmodified: its DPoP handle signs every proof (token endpoint and API alike)
    const spa = await t.given.app(slug, {
      type: 'public',
      grantTypes: ['authorization_code', 'refresh_token'],
      redirectUris: [cb],
      grants: [{ resourceServer: audience, scopes: ['orders:read'], flows: ['user'] }],
      requireDpop: true,
    });
    const user = await t.given.user(slug, {
      permissions: [{ resourceServer: audience, scopes: ['orders:read'] }],
    });
    const config = await oidc.discovery(
      new URL(t.issuer(slug)),
      spa.clientId,
      undefined,
      oidc.None(),
      { execute: [oidc.allowInsecureRequests] },
    );
    const pair = await oidc.randomDPoPKeyPair('ES256');
    const dpop = oidc.getDPoPHandle(config, pair);
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const authUrl = oidc.buildAuthorizationUrl(config, {
      redirect_uri: cb,
      scope: 'orders:read',
      resource: audience,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    const b = new Browser();
    const { action, fields } = formOf((await b.get(authUrl.href)).text);
    fields.set('email', user.email);
    fields.set('password', user.password);
    const back = await b.post(action, fields);
    const first = await oidc.authorizationCodeGrant(
      config,
      new URL(back.headers.get('location')!),
      { pkceCodeVerifier: verifier, expectedState: state },
      undefined,
      { DPoP: dpop },
    );
    const jkt = await calculateJwkThumbprint(await exportJWK(pair.publicKey), 'sha256');
    expect(first.token_type.toLowerCase()).toBe('dpop');
    expect(claims(first.access_token).cnf).toEqual({ jkt });
    const refreshed = await oidc.refreshTokenGrant(config, first.refresh_token!, undefined, {
      DPoP: dpop,
    });
    expect(refreshed.refresh_token).not.toBe(first.refresh_token);
    expect(claims(refreshed.access_token).cnf).toEqual({ jkt });

    const before = handled();
    const res = await oidc.fetchProtectedResource(
      config,
      refreshed.access_token,
      new URL(`${url}/orders`),
      'GET',
      undefined,
      undefined,
      { DPoP: dpop },
    );
    expect(res.status).toBe(200);
    expect(Array.isArray(await res.json())).toBe(true);
    expect(handled()).toBe(before + 1);
    // the same token without its key is refused, even by a caller who holds the token itself
    const stolen = await send(`${url}/orders`, {
      headers: { authorization: `Bearer ${refreshed.access_token}` },
    });
    expect(stolen.status).toBe(401);
    expect(handled()).toBe(before + 1);
  });
});
