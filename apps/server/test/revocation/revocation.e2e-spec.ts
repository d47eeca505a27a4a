import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import {
  authorize,
  basic,
  form,
  send,
  eventually,
  useTestServer,
  type TestServer,
  signIn as signInAs,
  claims,
} from '../support/harness';
import { LogoutReceiver } from '../support/receiver';

const cb = 'https://app.example.test/cb';

async function world(
  t: TestServer,
  receiver: LogoutReceiver,
  policy: Record<string, unknown> = {},
) {
  const { slug } = await t.given.tenant();
  const rs = await t.given.resourceServer(slug, {
    scopes: [{ name: 'orders:read', description: '' }],
  });
  const other = await t.given.resourceServer(slug, { scopes: [{ name: 'x', description: '' }] });
  const credentials = (id: string) => t.given.resourceServerCredentials(slug, id);
  const creds = await credentials(rs.id);
  const otherCreds = await credentials(other.id);
  const grants = [
    {
      resourceServer: rs.identifier,
      scopes: ['orders:read'],
      flows: ['user', 'client_credentials'],
    },
  ];
  const web = await t.given.app(slug, {
    grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
    redirectUris: [cb],
    postLogoutRedirectUris: ['https://app.example.test/bye'],
    backchannelLogoutUri: receiver.url,
    grants,
    policy,
  });
  const second = await t.given.app(slug, {
    grantTypes: ['authorization_code', 'refresh_token'],
    redirectUris: [cb],
    backchannelLogoutUri: receiver.url,
    grants,
  });
  const user = await t.given.user(slug, {
    permissions: [{ resourceServer: rs.identifier, scopes: ['orders:read'] }],
  });
  const signIn = (app = web, browser?: Parameters<typeof authorize>[2]['browser']) =>
    signInAs(t, slug, {
      app,
      browser,
      redirectUri: cb,
      email: user.email,
      password: user.password,
      scope: 'openid orders:read',
    });
  const introspect = (
    token: string,
    as: { clientId: string; secret: string } = creds,
    extra: Record<string, string> = {},
  ) =>
    send(`${t.issuer(slug)}/introspect`, {
      method: 'POST',
      headers: {
        authorization: basic(as.clientId, as.secret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: form({ token, ...extra }),
    });
  const revoke = (
    token: string,
    as: { clientId: string; secret: string } = web,
    extra: Record<string, string> = {},
  ) =>
    send(`${t.issuer(slug)}/revoke`, {
      method: 'POST',
      headers: {
        authorization: basic(as.clientId, as.secret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: form({ token, ...extra }),
    });
  return { slug, rs, other, creds, otherCreds, web, second, user, signIn, introspect, revoke };
}

describe('introspection (RFC 7662), revocation (RFC 7009) and session revocation', () => {
  const receiver = new LogoutReceiver();
  const t = useTestServer({ env: { TESSERA_ALLOW_PRIVATE_URIS: '1' } });
  let w: Awaited<ReturnType<typeof world>>;
  beforeAll(async () => {
    await receiver.start();
    w = await world(t, receiver);
  });
  afterAll(() => receiver.stop());

  it('answers an active access token with its claims to its resource server', async () => {
    const s = await w.signIn();
    const res = await w.introspect(s.access_token);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const c = claims(s.access_token);
    expect(res.body).toEqual({
      active: true,
      scope: 'orders:read',
      client_id: w.web.clientId,
      sub: w.user.id,
      aud: w.rs.identifier,
      exp: c.exp,
      iat: c.iat,
      iss: t.issuer(w.slug),
      jti: c.jti,
      sid: s.sid,
      token_type: 'Bearer',
    });
  });

  it('tells another resource server nothing but active:false', async () => {
    const s = await w.signIn();
    const res = await w.introspect(s.access_token, w.otherCreds);
    expect(res.body).toEqual({ active: false });
    expect(await w.introspect(s.refresh_token)).toMatchObject({ body: { active: false } }); // refresh tokens are not for resource servers
  });

  it.each([
    ['garbage', 'not-a-token'],
    ['a tampered token', 'TAMPER'],
    ['another tenant’s token', 'OTHER'],
  ])('answers exactly {"active":false} for %s', async (_n, kind) => {
    let token = kind;
    const s = await w.signIn();
    if (kind === 'TAMPER') token = s.access_token.slice(0, -4) + 'AAAA';
    if (kind === 'OTHER') {
      const rec = new LogoutReceiver();
      const elsewhere = await world(t, rec);
      token = (await elsewhere.signIn()).access_token;
    }
    const res = await w.introspect(token);
    expect(res.status).toBe(200);
    expect(res.text).toBe('{"active":false}');
  });

  it('requires credentials: none, a user’s token as bearer, or a public client get 401', async () => {
    const s = await w.signIn();
    const none = await send(`${t.issuer(w.slug)}/introspect`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form({ token: s.access_token }),
    });
    expect(none.status).toBe(401);
    const bearer = await send(`${t.issuer(w.slug)}/introspect`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${s.access_token}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: form({ token: s.access_token }),
    });
    expect(bearer.status).toBe(401);
    expect(bearer.text).not.toContain('active');
  });

  it('introspects a refresh token for its own client only', async () => {
    const s = await w.signIn();
    const own = await w.introspect(s.refresh_token, w.web, { token_type_hint: 'refresh_token' });
    expect(own.body).toMatchObject({
      active: true,
      token_type: 'refresh_token',
      client_id: w.web.clientId,
      sub: w.user.id,
      sid: s.sid,
    });
    expect((await w.introspect(s.refresh_token, w.second)).body).toEqual({ active: false });
  });

  it('makes a revoked session’s refresh and access tokens fail at once, and sends back-channel logouts to each application', async () => {
    const a = await w.signIn();
    const b = await w.signIn(w.second, a.browser); // SSO: same session, second surface
    expect(b.sid).toBe(a.sid);
    const before = receiver.tokens.length;
    await t.revokeSession(w.slug, a.sid, 'lost laptop');
    // no sleep: the revocation committed before the response
    expect((await w.introspect(a.access_token)).body).toEqual({ active: false });
    expect((await w.introspect(b.access_token)).body).toEqual({ active: false });
    expect(
      (
        await t.token(
          w.slug,
          { grant_type: 'refresh_token', refresh_token: a.refresh_token },
          w.web,
        )
      ).body.error,
    ).toBe('invalid_grant');
    await eventually(() => expect(receiver.tokens.length - before).toBe(2));
    const jwks = createLocalJWKSet((await send(`${t.issuer(w.slug)}/jwks.json`)).body);
    const auds = [];
    for (const lt of receiver.tokens.slice(before)) {
      expect(decodeProtectedHeader(lt).typ).toBe('logout+jwt');
      const { payload } = await jwtVerify(lt, jwks, {
        issuer: t.issuer(w.slug),
        typ: 'logout+jwt',
      });
      expect(payload.events).toEqual({ 'http://schemas.openid.net/event/backchannel-logout': {} });
      expect(payload.sid).toBe(a.sid);
      expect(payload.sub).toBe(w.user.id);
      expect(payload.nonce).toBeUndefined();
      expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(120);
      auds.push(payload.aud);
    }
    expect(auds.sort()).toEqual([w.web.clientId, w.second.clientId].sort());
    const audit = (
      await t.get(`/admin/api/tenants/${w.slug}/audit?type=session_revoked`, await t.adminToken())
    ).body;
    expect(audit.find((e: { sessionId: string }) => e.sessionId === a.sid).detail).toMatchObject({
      reason: 'admin',
      note: 'lost laptop',
    });
    await eventually(async () => {
      const deliveries = (
        await t.get(
          `/admin/api/tenants/${w.slug}/backchannel-deliveries?session=${a.sid}`,
          await t.adminToken(),
        )
      ).body;
      expect(deliveries.map((d: { status: string }) => d.status)).toEqual([
        'delivered',
        'delivered',
      ]);
    });
  });

  it('signs a user out everywhere', async () => {
    const a = await w.signIn();
    const b = await w.signIn(); // another browser, another session
    expect(a.sid).not.toBe(b.sid);
    const res = await t.json(
      'POST',
      `/admin/api/tenants/${w.slug}/users/${w.user.id}/sign-out`,
      {},
      await t.adminToken(),
    );
    expect(res.status).toBe(200);
    expect(res.body.ended).toBeGreaterThanOrEqual(2);
    for (const s of [a, b])
      expect((await w.introspect(s.access_token)).body).toEqual({ active: false });
    expect(
      (await t.get(`/admin/api/tenants/${w.slug}/sessions?user=${w.user.id}`, await t.adminToken()))
        .body.items,
    ).toEqual([]);
  });

  describe('the revocation endpoint', () => {
    it('revokes a refresh token’s family: its access tokens are inactive at once, the hint is not trusted', async () => {
      const s = await w.signIn();
      const res = await w.revoke(s.refresh_token, w.web, { token_type_hint: 'access_token' });
      expect(res.status).toBe(200);
      expect(res.text).toBe('');
      expect((await w.introspect(s.access_token)).body).toEqual({ active: false });
      expect(
        (
          await t.token(
            w.slug,
            { grant_type: 'refresh_token', refresh_token: s.refresh_token },
            w.web,
          )
        ).body.error,
      ).toBe('invalid_grant');
    });

    it('puts a revoked access token’s jti on the deny list; the refresh token lives on', async () => {
      const s = await w.signIn();
      expect((await w.revoke(s.access_token, w.web, { token_type_hint: 'foo' })).status).toBe(200);
      expect((await w.introspect(s.access_token)).body).toEqual({ active: false });
      expect(
        (
          await t.token(
            w.slug,
            { grant_type: 'refresh_token', refresh_token: s.refresh_token },
            w.web,
          )
        ).status,
      ).toBe(200);
    });

    it('answers 200 for unknown and already revoked tokens, and revokes nothing of another client', async () => {
      expect((await w.revoke('garbage')).status).toBe(200);
      const s = await w.signIn();
      expect((await w.revoke(s.refresh_token, w.second)).status).toBe(200);
      expect((await w.revoke(s.access_token, w.second)).status).toBe(200);
      expect((await w.introspect(s.access_token)).body.active).toBe(true);
      expect(
        (
          await t.token(
            w.slug,
            { grant_type: 'refresh_token', refresh_token: s.refresh_token },
            w.web,
          )
        ).status,
      ).toBe(200);
      const again = await w.revoke('garbage');
      expect(again.status).toBe(200);
    });

    it('requires the token parameter and client authentication', async () => {
      const res = await send(`${t.issuer(w.slug)}/revoke`, {
        method: 'POST',
        headers: {
          authorization: basic(w.web.clientId, w.web.secret),
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: '',
      });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_request');
      const s = await w.signIn();
      const unauth = await send(`${t.issuer(w.slug)}/revoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form({ token: s.refresh_token, client_id: w.web.clientId }),
      });
      expect(unauth.status).toBe(401);
      expect(
        (
          await t.token(
            w.slug,
            { grant_type: 'refresh_token', refresh_token: s.refresh_token },
            w.web,
          )
        ).status,
      ).toBe(200);
    });
  });

  it('reports the access token of a family revoked for reuse as inactive', async () => {
    const s = await w.signIn();
    const r1 = await t.token(
      w.slug,
      { grant_type: 'refresh_token', refresh_token: s.refresh_token },
      w.web,
    );
    await t.token(
      w.slug,
      { grant_type: 'refresh_token', refresh_token: r1.body.refresh_token },
      w.web,
    );
    await t.sql(
      `UPDATE refresh_tokens SET used_at = used_at - interval '1 hour' WHERE used_at IS NOT NULL`,
    );
    expect(
      (
        await t.token(
          w.slug,
          { grant_type: 'refresh_token', refresh_token: s.refresh_token },
          w.web,
        )
      ).body.error,
    ).toBe('invalid_grant');
    expect((await w.introspect(r1.body.access_token)).body).toEqual({ active: false });
  });
});
