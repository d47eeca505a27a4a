import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import { authorize, basic, claims, send, useTestServer } from '../support/harness';
import { ACCOUNT_API, CB, world, type World } from '../support/world';

/**
 * the account endpoint takes only tokens meant for it. Every tenant has a built-in account
 * API (`urn:tessera:account`, scopes `account:sessions:read` and `account:sessions:write`) which
 * applications may ask for only when the tenant granted it to them.
 */
describe('the account API', () => {
  const t = useTestServer();
  let w: World;

  beforeAll(async () => {
    w = await world(t);
  });

  const as = (token: string) => ({ authorization: `Bearer ${token}` });
  const sessionsOf = (token: string) =>
    send(`${w.issuer}/account/sessions`, { headers: as(token) });

  it('is built into every tenant: its own identifier and scopes, held by every user', async () => {
    const servers = await t.get(
      `/admin/api/tenants/${w.slug}/resource-servers`,
      await t.adminToken(),
    );
    expect(
      servers.body.find((r: { identifier: string }) => r.identifier === ACCOUNT_API),
    ).toMatchObject({
      isSystem: true,
      scopes: [
        { name: 'account:sessions:read', description: expect.any(String) },
        { name: 'account:sessions:write', description: expect.any(String) },
      ],
    });
    const mine = await w.accountSignIn();
    expect(mine.scope).toBe('account:sessions:read account:sessions:write');
    const list = await sessionsOf(mine.access_token);
    expect(list.status).toBe(200);
    expect(list.body).toEqual([expect.objectContaining({ id: mine.sid, isCurrent: true })]);
  });

  it('refuses a user’s token meant for another resource server, and ends nothing with it (R-09)', async () => {
    const victim = await w.accountSignIn();
    // what a resource server receives from the user's application: a token for itself
    const forOrders = await w.signIn();
    const attempts = [
      sessionsOf(forOrders.access_token),
      send(`${w.issuer}/account/sessions?others=true`, {
        method: 'DELETE',
        headers: as(forOrders.access_token),
      }),
      send(`${w.issuer}/account/sessions/${victim.sid}`, {
        method: 'DELETE',
        headers: as(forOrders.access_token),
      }),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
      expect(res.text).not.toContain(victim.sid);
    }
    expect((await sessionsOf(victim.access_token)).status).toBe(200);
    const [row] = await t.sql(`SELECT revoked_at FROM sessions WHERE id = $1`, [victim.sid]);
    expect(row.revoked_at).toBeNull();
  });

  it('refuses a DPoP-bound token sent as Bearer, and ends nothing with it (RFC 9449 §7.2)', async () => {
    const victim = await w.accountSignIn();
    // the same sign-in refreshed with a DPoP proof: its access token is bound to the client's key
    const key = await generateKeyPair('ES256');
    const proof = await new SignJWT({ htm: 'POST', htu: `${w.issuer}/token`, jti: randomUUID() })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(key.publicKey) })
      .setIssuedAt()
      .sign(key.privateKey);
    const bound = await w.post(
      'token',
      { grant_type: 'refresh_token', refresh_token: victim.refresh_token! },
      { authorization: basic(w.mine.clientId, w.mine.secret), dpop: proof },
    );
    expect(bound.status).toBe(200);
    expect(claims(bound.body.access_token).cnf).toEqual({ jkt: expect.any(String) });
    // a thief holding the bound token but not the key
    const attempts = [
      sessionsOf(bound.body.access_token),
      send(`${w.issuer}/account/sessions/${victim.sid}`, {
        method: 'DELETE',
        headers: as(bound.body.access_token),
      }),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
      expect(res.text).not.toContain(victim.sid);
    }
    const [row] = await t.sql<{ revoked_at: Date | null }>(
      `SELECT revoked_at FROM sessions WHERE id = $1`,
      [victim.sid],
    );
    expect(row.revoked_at).toBeNull();
  });

  it('takes the Bearer scheme in any case (RFC 9110 §11.1)', async () => {
    const mine = await w.accountSignIn();
    for (const scheme of ['bearer', 'BEARER', 'Bearer']) {
      const res = await send(`${w.issuer}/account/sessions`, {
        headers: { authorization: `${scheme} ${mine.access_token}` },
      });
      expect({ scheme, status: res.status }).toEqual({ scheme, status: 200 });
    }
  });

  it('needs account:sessions:write to end a session (403 insufficient_scope), :read to list', async () => {
    const readOnly = await t.given.app(w.slug, {
      grantTypes: ['authorization_code'],
      redirectUris: [CB],
      grants: [{ resourceServer: ACCOUNT_API, scopes: ['account:sessions:read'], flows: ['user'] }],
    });
    const s = await authorize(t, w.slug, {
      clientId: readOnly.clientId,
      redirectUri: CB,
      email: w.user.email,
      password: w.user.password,
      scope: 'account:sessions:read',
    });
    const token = (
      await t.token(
        w.slug,
        {
          grant_type: 'authorization_code',
          code: s.code,
          redirect_uri: CB,
          code_verifier: s.verifier!,
        },
        readOnly,
      )
    ).body.access_token;
    expect((await sessionsOf(token)).status).toBe(200);
    const end = await send(`${w.issuer}/account/sessions?others=true`, {
      method: 'DELETE',
      headers: as(token),
    });
    expect(end.status).toBe(403);
    expect(end.headers.get('www-authenticate')).toBe(
      'Bearer error="insufficient_scope", scope="account:sessions:write"',
    );
  });

  it('is requestable only by applications the tenant granted it', async () => {
    const s = await authorize(t, w.slug, {
      clientId: w.web.clientId,
      redirectUri: CB,
      email: w.user.email,
      password: w.user.password,
      scope: 'account:sessions:read',
      resource: ACCOUNT_API,
    }).catch((err: Error) => err);
    // RFC 8707 §2: the resource is not among the application's: refused, nothing issued
    const location = s instanceof Error ? s.message : s.location.href;
    expect(location).toMatch(/error=invalid_target/);
    expect(location).not.toMatch(/[?&]code=/);
  });
});
