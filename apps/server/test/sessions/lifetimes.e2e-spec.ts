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
  /** Sleeps until a moment the database named, plus a margin: robust to a loaded machine. */
  const until = async (at: Date, marginMs = 300) =>
    sleep(Math.max(0, new Date(at).getTime() - Date.now() + marginMs));
  const family = async (sid: string) =>
    (
      await t.sql(`SELECT absolute_expires_at FROM refresh_token_families WHERE session_id = $1`, [
        sid,
      ])
    )[0];
  const session = async (sid: string) =>
    (
      await t.sql(`SELECT idle_expires_at, absolute_expires_at FROM sessions WHERE id = $1`, [sid])
    )[0];

  it('ends an idle refresh token after refreshIdleTtl', async () => {
    const s = await signedIn(t, { accessTokenTtl: '1s', refreshIdleTtl: '2s' });
    const [row] = await t.sql(
      `SELECT rt.idle_expires_at FROM refresh_tokens rt JOIN refresh_token_families f ON f.id = rt.family_id WHERE f.session_id = $1`,
      [s.sid],
    );
    await until(row.idle_expires_at);
    expect((await s.refresh(s.rt)).body.error).toBe('invalid_grant');
  });

  it('counts the refresh absolute lifetime from sign-in: rotation never extends it', async () => {
    const s = await signedIn(t, {
      accessTokenTtl: '1s',
      refreshIdleTtl: '3s',
      refreshAbsoluteTtl: '4s',
    });
    const { absolute_expires_at: end } = await family(s.sid);
    let rt = s.rt;
    for (const before of [2500, 1200]) {
      await sleep(Math.max(0, new Date(end).getTime() - Date.now() - before));
      const r = await s.refresh(rt);
      expect(r.status).toBe(200);
      rt = r.body.refresh_token;
    }
    // the newest token's idle time would run past the family's end: it is capped there
    const [last] = await t.sql(
      `SELECT rt.idle_expires_at <= f.absolute_expires_at AS capped FROM refresh_tokens rt JOIN refresh_token_families f ON f.id = rt.family_id WHERE f.session_id = $1 AND rt.used_at IS NULL`,
      [s.sid],
    );
    expect(last.capped).toBe(true);
    expect(new Date((await family(s.sid)).absolute_expires_at).getTime()).toBe(
      new Date(end).getTime(),
    ); // rotation did not move it
    await until(end);
    expect((await s.refresh(rt)).body.error).toBe('invalid_grant');
  });

  it('slides the session’s idle expiry on each refresh, never past the absolute limit', async () => {
    const s = await signedIn(t, {
      accessTokenTtl: '1s',
      refreshIdleTtl: '3s',
      refreshAbsoluteTtl: '6s',
      sessionIdleTtl: '3s',
      sessionAbsoluteTtl: '6s',
      sliding: true,
    });
    const first = await session(s.sid);
    let rt = s.rt;
    for (let i = 0; i < 2; i++) {
      const { idle_expires_at } = await session(s.sid);
      await sleep(Math.max(0, new Date(idle_expires_at).getTime() - Date.now() - 1200));
      const r = await s.refresh(rt);
      expect(r.status).toBe(200);
      rt = r.body.refresh_token;
    }
    const now = await session(s.sid);
    expect(new Date(now.idle_expires_at).getTime()).toBeGreaterThan(
      new Date(first.idle_expires_at).getTime(),
    ); // it slid
    expect(new Date(now.idle_expires_at).getTime()).toBeLessThanOrEqual(
      new Date(now.absolute_expires_at).getTime(),
    ); // capped
    expect(Date.now()).toBeGreaterThan(new Date(first.idle_expires_at).getTime()); // alive past its first idle expiry
    await until(now.absolute_expires_at);
    expect((await s.refresh(rt)).body.error).toBe('invalid_grant');
    const page = await s.browser.get(
      `${t.issuer(s.slug)}/authorize?response_type=code&client_id=${s.app.clientId}&redirect_uri=${encodeURIComponent(cb)}`,
    );
    expect(page.status).toBe(200); // and the browser's SSO session is over too
  });

  it('records use at most once a minute: within it a refresh slides the idle expiry and writes no surface', async () => {
    const s = await signedIn(t, { sessionIdleTtl: '1h', sliding: true });
    const seen = async () => {
      const [row] = await t.sql(
        `SELECT s.last_seen_at AS "session", s.idle_expires_at AS "idle", ss.last_seen_at AS "surface",
                ss.xmin::text AS "surfaceVersion"
         FROM sessions s JOIN session_surfaces ss ON ss.session_id = s.id WHERE s.id = $1`,
        [s.sid],
      );
      return row as { session: Date; idle: Date; surface: Date; surfaceVersion: string };
    };
    const before = await seen();
    await sleep(50); // the database clock moves on
    const first = await s.refresh(s.rt);
    expect(first.status).toBe(200);
    const within = await seen();
    expect(within.session).toEqual(before.session);
    expect(within.surface).toEqual(before.surface);
    expect(within.surfaceVersion).toBe(before.surfaceVersion); // the surface row was not rewritten
    expect(within.idle.getTime()).toBeGreaterThan(before.idle.getTime()); // sliding is exact

    // a minute later (set back, not waited for), the next refresh records the use again
    await t.sql(`UPDATE sessions SET last_seen_at = now() - interval '61 seconds' WHERE id = $1`, [
      s.sid,
    ]);
    await t.sql(
      `UPDATE session_surfaces SET last_seen_at = now() - interval '61 seconds' WHERE session_id = $1`,
      [s.sid],
    );
    const stale = await seen();
    expect((await s.refresh(first.body.refresh_token)).status).toBe(200);
    const after = await seen();
    expect(after.session.getTime()).toBeGreaterThan(stale.session.getTime() + 60_000);
    expect(after.surface.getTime()).toBeGreaterThan(stale.surface.getTime() + 60_000);
  });

  it('without sliding, ends the session at its first idle expiry despite activity', async () => {
    const s = await signedIn(t, { accessTokenTtl: '1s', sessionIdleTtl: '2s', sliding: false });
    const first = await session(s.sid);
    const r = await s.refresh(s.rt);
    expect(r.status).toBe(200);
    expect(new Date((await session(s.sid)).idle_expires_at).getTime()).toBe(
      new Date(first.idle_expires_at).getTime(),
    );
    await until(first.idle_expires_at);
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
