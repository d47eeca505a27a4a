import { authorize, send, useTestServer } from '../support/harness';
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
