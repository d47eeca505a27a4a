import { DataSource } from 'typeorm';
import { createTestDatabase, isServerMode } from '../../../../test-setup/test-database';
import {
  authorize,
  basic,
  eventually,
  send,
  startTestServer,
  useTestServer,
  type TestServer,
  signIn as signInAs,
  claims,
} from '../support/harness';
import { subscribeFeed } from '../support/feed';
import { LogoutReceiver } from '../support/receiver';

const cb = 'https://app.example.test/cb';
const bye = 'https://app.example.test/bye';

async function world(
  t: TestServer,
  backchannelLogoutUri?: string,
  policy: Record<string, unknown> = {},
) {
  const { slug } = await t.given.tenant();
  const web = await t.given.app(slug, {
    grantTypes: ['authorization_code', 'refresh_token'],
    redirectUris: [cb],
    postLogoutRedirectUris: [bye],
    policy,
    ...(backchannelLogoutUri ? { backchannelLogoutUri } : {}),
  });
  const user = await t.given.user(slug);
  const signIn = () =>
    signInAs(t, slug, {
      app: web,
      redirectUri: cb,
      email: user.email,
      password: user.password,
      scope: 'openid',
    });
  // an application granted the tenant's account API: the user's own devices
  const mine = await t.given.app(slug, {
    grantTypes: ['authorization_code'],
    redirectUris: [cb],
    grants: [
      {
        resourceServer: 'urn:tessera:account',
        scopes: ['account:sessions:read', 'account:sessions:write'],
        flows: ['user'],
      },
    ],
  });
  const accountSignIn = () =>
    signInAs(t, slug, {
      app: mine,
      redirectUri: cb,
      email: user.email,
      password: user.password,
      scope: 'openid account:sessions:read account:sessions:write',
    });
  return { slug, web, user, signIn, accountSignIn };
}

describe('the revocation feed', () => {
  const t = useTestServer();
  let w: Awaited<ReturnType<typeof world>>;
  let auth: string;
  beforeAll(async () => {
    w = await world(t);
    auth = basic(w.web.clientId, w.web.secret);
  });
  const revokeSession = (sid: string) => t.revokeSession(w.slug, sid);

  it('lists events by cursor, each with what a validator needs and when it may be forgotten', async () => {
    const s = await w.signIn();
    await revokeSession(s.sid);
    const res = await send(`${t.issuer(w.slug)}/revocations?after=0`, {
      headers: { authorization: auth },
    });
    expect(res.status).toBe(200);
    const event = res.body.events.find((e: { sid?: string }) => e.sid === s.sid);
    expect(event).toEqual({
      id: expect.stringMatching(/^\d+$/),
      type: 'session',
      sid: s.sid,
      sub: w.user.id,
      notBefore: expect.any(Number),
      exp: expect.any(Number),
      reason: 'admin',
    });
    expect(event.exp).toBeGreaterThanOrEqual(claims(s.access_token).exp);
    const next = await send(`${t.issuer(w.slug)}/revocations?after=${res.body.cursor}`, {
      headers: { authorization: auth },
    });
    expect(next.body).toEqual({ events: [], cursor: res.body.cursor });
  });

  it('pages events in the order of their ids past 9, 99…, and the cursor is the last of them', async () => {
    const before = await send(`${t.issuer(w.slug)}/revocations?after=0`, {
      headers: { authorization: auth },
    });
    for (let i = 0; i < 12; i++) await revokeSession((await w.signIn()).sid);
    const res = await send(`${t.issuer(w.slug)}/revocations?after=${before.body.cursor}`, {
      headers: { authorization: auth },
    });
    const ids = res.body.events.map((e: { id: string }) => BigInt(e.id));
    expect(ids).toHaveLength(12);
    // compared as numbers: as text "10" sorts before "9" and a cursor would skip or repeat events
    expect(ids.every((id: bigint, i: number) => i === 0 || id > ids[i - 1])).toBe(true);
    expect(BigInt(res.body.cursor)).toBe(ids[ids.length - 1]);
  });

  it('streams events live over SSE and resumes with Last-Event-ID without loss', async () => {
    const first = await w.signIn();
    const stream = await subscribeFeed(`${t.issuer(w.slug)}/revocations`, w.web);
    expect(stream.status).toBe(200);
    expect(stream.contentType).toMatch(/text\/event-stream/);
    await revokeSession(first.sid);
    await eventually(() => expect(stream.events.some((e) => e.data.sid === first.sid)).toBe(true));
    const lastId = stream.events[stream.events.length - 1].id;
    stream.close();
    const missed = await w.signIn();
    await revokeSession(missed.sid); // while disconnected
    const resumed = await subscribeFeed(`${t.issuer(w.slug)}/revocations`, w.web, lastId);
    await eventually(() => expect(resumed.events.map((e) => e.data.sid)).toContain(missed.sid));
    expect(resumed.events.map((e) => e.data.sid)).not.toContain(first.sid);
    expect(resumed.events.every((e) => BigInt(e.id) > BigInt(lastId))).toBe(true);
    resumed.close();
  });

  it('refuses callers without credentials, from another tenant, and garbage cursors', async () => {
    expect((await send(`${t.issuer(w.slug)}/revocations`)).status).toBe(401);
    const other = await world(t);
    expect(
      (
        await send(`${t.issuer(w.slug)}/revocations`, {
          headers: { authorization: basic(other.web.clientId, other.web.secret) },
        })
      ).status,
    ).toBe(401);
    for (const after of ['-1', 'abc', '1'.repeat(30)]) {
      const res = await send(`${t.issuer(w.slug)}/revocations?after=${after}`, {
        headers: { authorization: auth },
      });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_request');
    }
  });

  (isServerMode() ? it : it.skip)(
    'delivers a revocation committed on one instance to a subscriber of another',
    async () => {
      const b = await startTestServer(t.databaseUrl);
      try {
        const stream = await subscribeFeed(`${b.url}/t/${w.slug}/revocations`, w.web);
        const s = await w.signIn();
        await revokeSession(s.sid); // through instance A
        await eventually(() => expect(stream.events.map((e) => e.data.sid)).toContain(s.sid));
        stream.close();
      } finally {
        await b.server.stop();
      }
    },
  );
});

describe('RP-initiated logout and back-channel delivery', () => {
  const receiver = new LogoutReceiver();
  const t = useTestServer({ env: { TESSERA_ALLOW_PRIVATE_URIS: '1' } });
  let w: Awaited<ReturnType<typeof world>>;
  beforeAll(async () => {
    await receiver.start();
    w = await world(t, receiver.url);
  });
  afterAll(() => receiver.stop());

  const authorizeAgain = (browser: Awaited<ReturnType<typeof w.signIn>>['browser']) =>
    browser.get(
      `${t.issuer(w.slug)}/authorize?response_type=code&client_id=${w.web.clientId}&redirect_uri=${encodeURIComponent(cb)}`,
    );

  it('ends the SSO session with a valid id_token_hint and returns to the registered URI with state', async () => {
    const s = await w.signIn();
    expect((await authorizeAgain(s.browser)).status).toBe(302); // SSO works before logout
    const q = new URLSearchParams({
      id_token_hint: s.id_token,
      post_logout_redirect_uri: bye,
      state: 'after-logout',
    });
    const res = await s.browser.get(`${t.issuer(w.slug)}/logout?${q}`);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`${bye}?state=after-logout`);
    expect(s.browser.cookies.has('tessera_session')).toBe(false);
    expect((await authorizeAgain(s.browser)).status).toBe(200); // the password is asked again
    expect(
      (
        await t.token(
          w.slug,
          { grant_type: 'refresh_token', refresh_token: s.refresh_token },
          w.web,
        )
      ).body.error,
    ).toBe('invalid_grant');
    await eventually(() =>
      expect(receiver.tokens.some((lt) => claims(lt).sid === s.sid)).toBe(true),
    );
  });

  it.each([
    `${bye}?x=1`,
    'https://app.example.test:443/bye',
    'https://APP.example.test/bye',
    'https://evil.example/bye',
  ])('never redirects to an unregistered variant: %s', async (uri) => {
    const s = await w.signIn();
    const res = await s.browser.get(
      `${t.issuer(w.slug)}/logout?${new URLSearchParams({ id_token_hint: s.id_token, post_logout_redirect_uri: uri })}`,
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('location')).toBeNull();
    expect(res.text).toContain('signed out');
  });

  it('asks the user to confirm when the hint is missing or forged, and ends nothing until confirmed', async () => {
    const s = await w.signIn();
    const forged = s.id_token.slice(0, -6) + 'AAAAAA';
    for (const q of [
      new URLSearchParams({ post_logout_redirect_uri: bye }),
      new URLSearchParams({ id_token_hint: forged, post_logout_redirect_uri: bye }),
    ]) {
      const page = await s.browser.get(`${t.issuer(w.slug)}/logout?${q}`);
      expect(page.status).toBe(200);
      expect(page.headers.get('location')).toBeNull();
      expect(page.text).toContain('Sign out?');
      expect((await authorizeAgain(s.browser)).status).toBe(302); // still signed in
    }
    const page = await s.browser.get(`${t.issuer(w.slug)}/logout`);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)![1];
    const forgedPost = await s.browser.post(
      `${t.issuer(w.slug)}/logout`,
      new URLSearchParams({ confirm: 'yes', csrf: 'nope' }),
    );
    expect(forgedPost.status).toBe(403);
    const confirmed = await s.browser.post(
      `${t.issuer(w.slug)}/logout`,
      new URLSearchParams({ confirm: 'yes', csrf }),
    );
    expect(confirmed.status).toBe(200);
    expect((await authorizeAgain(s.browser)).status).toBe(200);
  });

  it('refuses a client_id that differs from the hint’s audience, without redirecting or ending the session', async () => {
    const s = await w.signIn();
    const res = await s.browser.get(
      `${t.issuer(w.slug)}/logout?${new URLSearchParams({ id_token_hint: s.id_token, client_id: 'someone-else', post_logout_redirect_uri: bye })}`,
    );
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect((await authorizeAgain(s.browser)).status).toBe(302);
  });

  it('retries a back-channel logout until the application is back, across a server restart', async () => {
    const down = new LogoutReceiver();
    await down.start();
    const port = down.port;
    const db = await createTestDatabase();
    let server = await startTestServer(db.url, { TESSERA_ALLOW_PRIVATE_URIS: '1' });
    try {
      const admin = async () => {
        const f = server.server.firstStart ?? first;
        return (
          await send(`${server.url}/t/system/token`, {
            method: 'POST',
            headers: {
              authorization: basic(f.automationClientId, f.automationClientSecret),
              'content-type': 'application/x-www-form-urlencoded',
            },
            body: 'grant_type=client_credentials',
          })
        ).body.access_token as string;
      };
      const first = server.server.firstStart!;
      const j = async (method: string, path: string, body?: unknown) =>
        send(`${server.url}${path}`, {
          method,
          headers: { authorization: `Bearer ${await admin()}`, 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      await j('POST', '/admin/api/tenants', { slug: 'bcl', name: 'BCL' });
      const app = (
        await j('POST', '/admin/api/tenants/bcl/applications', {
          clientId: 'bcl-web',
          name: 'w',
          type: 'confidential',
          grantTypes: ['authorization_code'],
          redirectUris: [cb],
          backchannelLogoutUri: down.url,
        })
      ).body;
      const user = (
        await j('POST', '/admin/api/tenants/bcl/users', {
          email: 'u@bcl.test',
          password: 'a long password',
        })
      ).body;
      const fakeT = { issuer: (s: string) => `${server.url}/t/${s}` } as unknown as TestServer;
      const s = await authorize(fakeT, 'bcl', {
        clientId: 'bcl-web',
        redirectUri: cb,
        email: 'u@bcl.test',
        password: 'a long password',
      });
      const tok = (
        await send(`${server.url}/t/bcl/token`, {
          method: 'POST',
          headers: {
            authorization: basic('bcl-web', app.clientSecret),
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: new URLSearchParams({
            grant_type: 'authorization_code',
            code: s.code,
            redirect_uri: cb,
            code_verifier: s.verifier!,
          }).toString(),
        })
      ).body;
      const sid = claims(tok.access_token).sid;
      await down.stop(); // the application is down
      expect((await j('POST', `/admin/api/tenants/bcl/users/${user.id}/sign-out`, {})).status).toBe(
        200,
      );
      await eventually(async () => {
        const d = (await j('GET', `/admin/api/tenants/bcl/backchannel-deliveries?session=${sid}`))
          .body;
        expect(d).toEqual([
          expect.objectContaining({
            status: 'pending',
            lastError: 'delivery failed: no HTTP response',
          }),
        ]);
        expect(d[0].attempts).toBeGreaterThanOrEqual(1);
      });
      await server.server.stop(); // restart while the delivery is pending
      server = await startTestServer(db.url, { TESSERA_ALLOW_PRIVATE_URIS: '1' });
      (server.server as { firstStart?: unknown }).firstStart = first;
      const up = new LogoutReceiver();
      up.port = port;
      await up.start(); // back, on the same address
      await server.server.app
        .get(DataSource)
        .query(`UPDATE backchannel_deliveries SET next_attempt_at = now()`); // skip the back-off wait
      await eventually(() => expect(up.tokens.map((lt) => claims(lt).sid)).toContain(sid), 10000);
      await eventually(async () =>
        expect(
          (await j('GET', `/admin/api/tenants/bcl/backchannel-deliveries?session=${sid}`)).body[0]
            .status,
        ).toBe('delivered'),
      );
      await up.stop();
    } finally {
      await server.server.stop();
      await db.drop();
    }
  });

  it('ends expired sessions by itself and sends their back-channel logouts', async () => {
    const short = await world(t, receiver.url, {
      accessTokenTtl: '1s',
      refreshIdleTtl: '1s',
      refreshAbsoluteTtl: '2s',
      sessionIdleTtl: '2s',
      sessionAbsoluteTtl: '2s',
    });
    const s = await short.signIn();
    await eventually(async () => {
      const rows = await t.sql(`SELECT revocation_reason FROM sessions WHERE id = $1`, [s.sid]);
      expect(rows[0].revocation_reason).toBe('expired');
    }, 15000);
    await eventually(() =>
      expect(receiver.tokens.some((lt) => claims(lt).sid === s.sid)).toBe(true),
    );
  });
});

describe('the account endpoint: a user’s own sessions', () => {
  const t = useTestServer();

  it('lists them, ends one of one’s own, refuses another user’s (404), and ends all the others', async () => {
    const w = await world(t);
    // tokens for the tenant's account API (tokens for other APIs are refused there)
    const a = await w.accountSignIn();
    const b = await w.accountSignIn();
    const c = await w.accountSignIn();
    const other = await world(t);
    const theirs = await other.accountSignIn();
    const as = (token: string) => ({ authorization: `Bearer ${token}` });
    const list = await send(`${t.issuer(w.slug)}/account/sessions`, {
      headers: as(a.access_token),
    });
    expect(list.status).toBe(200);
    expect(list.body.map((s: { id: string }) => s.id).sort()).toEqual([a.sid, b.sid, c.sid].sort());
    expect(list.body.find((s: { isCurrent: boolean }) => s.isCurrent).id).toBe(a.sid);
    expect(
      (
        await send(`${t.issuer(w.slug)}/account/sessions/${theirs.sid}`, {
          method: 'DELETE',
          headers: as(a.access_token),
        })
      ).status,
    ).toBe(404);
    expect(
      (await send(`${t.issuer(other.slug)}/account/sessions`, { headers: as(theirs.access_token) }))
        .body,
    ).toHaveLength(1);
    expect(
      (
        await send(`${t.issuer(w.slug)}/account/sessions/${b.sid}`, {
          method: 'DELETE',
          headers: as(a.access_token),
        })
      ).status,
    ).toBe(204);
    expect(
      (
        await send(`${t.issuer(w.slug)}/account/sessions?others=true`, {
          method: 'DELETE',
          headers: as(a.access_token),
        })
      ).status,
    ).toBe(204);
    const after = await send(`${t.issuer(w.slug)}/account/sessions`, {
      headers: as(a.access_token),
    });
    expect(after.body.map((s: { id: string }) => s.id)).toEqual([a.sid]);
    const none = await send(`${t.issuer(w.slug)}/account/sessions`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer(, DPoP algs="[^"]+")?$/);
    expect(
      (
        await send(`${t.issuer(w.slug)}/account/sessions`, { headers: as(c.access_token) })
      ).headers.get('www-authenticate'),
    ).toBe('Bearer error="invalid_token"');
  });
});
