import * as oidc from 'openid-client';
import { authorize, Browser, useTestServer, type TestServer } from '../support/harness';
import { formOf } from '../support/browser';

const cb = 'https://app.example.test/cb';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function signedIn(t: TestServer, policy: Record<string, unknown>) {
  const { slug } = await t.given.tenant();
  const api = (await t.given.resourceServer(slug, { scopes: [{ name: 'a', description: '' }] }))
    .identifier;
  const app = await t.given.app(slug, {
    grantTypes: ['authorization_code', 'refresh_token'],
    redirectUris: [cb],
    policy,
    grants: [{ resourceServer: api, scopes: ['a'], flows: ['user'] }],
  });
  const user = await t.given.user(slug, { permissions: [{ resourceServer: api, scopes: ['a'] }] });
  const s = await authorize(t, slug, {
    clientId: app.clientId,
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
      app,
    )
  ).body;
  const sid = JSON.parse(Buffer.from(tokens.access_token.split('.')[1], 'base64url').toString())
    .sid as string;
  const refresh = async (rt: string) =>
    t.token(slug, { grant_type: 'refresh_token', refresh_token: rt }, app);
  return { slug, app, user, sid, rt: tokens.refresh_token as string, refresh, browser: s.browser };
}

describe('lifetimes with short TTLs (real seconds; expiry decided by the database clock)', () => {
  const t = useTestServer();
  const started = () => Date.now();

  it('ends an idle refresh token after refreshIdleTtl', async () => {
    const s = await signedIn(t, { accessTokenTtl: '1s', refreshIdleTtl: '2s' });
    await sleep(2300);
    expect((await s.refresh(s.rt)).body.error).toBe('invalid_grant');
  });

  it('counts the refresh absolute lifetime from sign-in: rotation never extends it', async () => {
    const t0 = started();
    const s = await signedIn(t, {
      accessTokenTtl: '1s',
      refreshIdleTtl: '2s',
      refreshAbsoluteTtl: '3s',
    });
    let rt = s.rt;
    for (const at of [1000, 2000]) {
      await sleep(at - (Date.now() - t0));
      const r = await s.refresh(rt);
      expect(r.status).toBe(200);
      rt = r.body.refresh_token;
    }
    await sleep(3300 - (Date.now() - t0));
    expect((await s.refresh(rt)).body.error).toBe('invalid_grant'); // its idle time is not over, its family's life is
  });

  it('slides the session’s idle expiry on each refresh, never past the absolute limit', async () => {
    const t0 = started();
    const s = await signedIn(t, {
      accessTokenTtl: '1s',
      refreshIdleTtl: '2s',
      refreshAbsoluteTtl: '4s',
      sessionIdleTtl: '2s',
      sessionAbsoluteTtl: '4s',
      sliding: true,
    });
    let rt = s.rt;
    for (const at of [1500, 3000]) {
      await sleep(at - (Date.now() - t0));
      const r = await s.refresh(rt);
      expect(r.status).toBe(200); // beyond the first idle expiry (2 s): sliding kept it alive
      rt = r.body.refresh_token;
    }
    const [row] = await t.sql(
      `SELECT idle_expires_at <= absolute_expires_at AS capped FROM sessions WHERE id = $1`,
      [s.sid],
    );
    expect(row.capped).toBe(true);
    await sleep(4300 - (Date.now() - t0));
    expect((await s.refresh(rt)).body.error).toBe('invalid_grant');
    // and the browser's SSO session is over too
    const page = await s.browser.get(
      `${t.issuer(s.slug)}/authorize?response_type=code&client_id=${s.app.clientId}&redirect_uri=${encodeURIComponent(cb)}`,
    );
    expect(page.status).toBe(200);
  });

  it('without sliding, ends the session at its first idle expiry despite activity', async () => {
    const t0 = started();
    const s = await signedIn(t, { accessTokenTtl: '1s', sessionIdleTtl: '2s', sliding: false });
    await sleep(1000 - (Date.now() - t0));
    const r = await s.refresh(s.rt);
    expect(r.status).toBe(200);
    await sleep(2300 - (Date.now() - t0));
    expect((await s.refresh(r.body.refresh_token)).body.error).toBe('invalid_grant');
  });
});

describe('a standard OAuth client library (openid-client) against Tessera', () => {
  const t = useTestServer();

  it('discovers, signs in with code + PKCE, validates the ID token, refreshes with rotation', async () => {
    const { slug } = await t.given.tenant();
    const api = (
      await t.given.resourceServer(slug, { scopes: [{ name: 'orders:read', description: '' }] })
    ).identifier;
    const app = await t.given.app(slug, {
      grantTypes: ['authorization_code', 'refresh_token'],
      redirectUris: [cb],
      grants: [{ resourceServer: api, scopes: ['orders:read'], flows: ['user'] }],
    });
    const user = await t.given.user(slug, {
      permissions: [{ resourceServer: api, scopes: ['orders:read'] }],
    });
    const config = await oidc.discovery(
      new URL(t.issuer(slug)),
      app.clientId,
      app.secret,
      undefined,
      { execute: [oidc.allowInsecureRequests] },
    );
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: cb,
      scope: 'openid orders:read',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });

    const b = new Browser();
    const page = await b.get(url.href);
    const { action, fields } = formOf(page.text);
    fields.set('email', user.email);
    fields.set('password', user.password);
    const back = await b.post(action, fields);
    const tokens = await oidc.authorizationCodeGrant(
      config,
      new URL(back.headers.get('location')!),
      {
        pkceCodeVerifier: verifier,
        expectedState: state,
        expectedNonce: nonce,
        idTokenExpected: true,
      },
    );
    expect(tokens.claims()?.sub).toBe(user.id);
    expect(tokens.scope).toBe('orders:read');
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    expect(refreshed.access_token).toEqual(expect.any(String));
  });
});
