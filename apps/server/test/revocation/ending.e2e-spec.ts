import { TesseraVerifier, TokenRejectedError } from '@tessera/nest-guards';
import { TenantsService } from '../../src/tenants';
import { CONFIG_CHANNEL, NotifyBus } from '../../src/database';
import {
  Browser,
  claims,
  eventually,
  send,
  signIn as signInAs,
  useTestServer,
  type SignedInTokens,
} from '../support/harness';
import { LogoutReceiver } from '../support/receiver';
import { CB, world, type Credentials, type World } from '../support/world';

/**
 * Issue 16 §3: deleting or disabling an application, deleting a resource server, a user or a
 * tenant ends every session surface, family and token it held: introspection answers
 * `active: false` at once, a guard following the feed refuses within its latency, and back-channel
 * logouts go out where sessions end. "Revoke every token of this application" does the same and
 * leaves the application working.
 */
describe('ending what an application, a resource server, a user or a tenant held', () => {
  const receiver = new LogoutReceiver();
  const t = useTestServer({ env: { TESSERA_ALLOW_PRIVATE_URIS: '1' } });
  const verifiers: TesseraVerifier[] = [];
  beforeAll(() => receiver.start());
  afterAll(() => receiver.stop());
  afterEach(() => {
    for (const v of verifiers.splice(0)) v.close();
  });

  /**
   * A tenant where `web` and `second` (both with back-channel logout) and a user are signed in:
   * session `alone` has `web` only; session `shared` has `web` and `second`. Plus a
   * client_credentials token of `web`, and a guard for the orders API following the feed.
   */
  async function scene(feedAs?: (w: World) => Credentials) {
    const w = await world(t);
    const admin = await t.adminToken();
    for (const app of [w.web, w.second])
      expect(
        (
          await t.json(
            'PATCH',
            `/admin/api/tenants/${w.slug}/applications/${app.clientId}`,
            { backchannelLogoutUri: receiver.url },
            admin,
          )
        ).status,
      ).toBe(200);
    const as = (app: Credentials, browser: Browser) =>
      signInAs(t, w.slug, {
        app,
        browser,
        redirectUri: CB,
        email: w.user.email,
        password: w.user.password,
        scope: 'openid orders:read',
      });
    const alone = await as(w.web, new Browser());
    const sharedBrowser = new Browser();
    const shared = await as(w.web, sharedBrowser);
    const sharedSecond = await as(w.second, sharedBrowser);
    expect(sharedSecond.sid).toBe(shared.sid); // single sign-on: one session, two surfaces
    const cc = (await w.cc()).body.access_token as string;
    const guard = new TesseraVerifier({
      issuer: w.issuer,
      audience: w.rs.identifier,
      mode: 'jwt+feed',
      ...(() => {
        const c = feedAs?.(w) ?? w.rsCreds;
        return { clientId: c.clientId, clientSecret: c.secret };
      })(),
    });
    verifiers.push(guard);
    await guard.init();
    const s = { w, admin, alone, shared, sharedSecond, cc, guard };
    for (const token of [alone.access_token, shared.access_token, sharedSecond.access_token, cc])
      await expectLive(s, token);
    return s;
  }
  type Scene = Awaited<ReturnType<typeof scene>>;

  const introspect = (s: Scene, token: string, as?: Credentials) => s.w.introspect(token, as);
  async function expectLive(s: Scene, token: string, as?: Credentials) {
    expect((await introspect(s, token, as)).body.active).toBe(true);
    await expect(s.guard.verify(token)).resolves.toMatchObject({ sub: claims(token).sub });
  }
  /** Introspection at once; the guard as soon as the feed brought the event. */
  async function expectDead(s: Scene, token: string, as?: Credentials) {
    expect((await introspect(s, token, as)).body).toEqual({ active: false });
    await eventually(() =>
      expect(s.guard.verify(token)).rejects.toBeInstanceOf(TokenRejectedError),
    );
  }
  const session = async (sid: string) =>
    (
      await t.sql(
        `SELECT s.revoked_at IS NOT NULL AS ended, s.revocation_reason AS reason,
                (SELECT json_agg(a.client_id ORDER BY a.client_id) FROM session_surfaces ss JOIN applications a ON a.id = ss.application_id WHERE ss.session_id = s.id) AS surfaces
         FROM sessions s WHERE s.id = $1`,
        [sid],
      )
    )[0] as { ended: boolean; reason: string | null; surfaces: string[] | null } | undefined;
  /** The back-channel logouts the receiver got for a session, by audience. */
  const logoutsFor = (sid: string) =>
    receiver.tokens
      .map((lt) => claims(lt))
      .filter((c) => c.sid === sid)
      .map((c) => c.aud as string);
  const refreshOf = (s: Scene, tokens: SignedInTokens, as: Credentials) =>
    s.w.refresh(tokens.refresh_token, as);

  it('revokes every token of an application: its sign-ins end, sessions it alone held end whole, the application works on', async () => {
    const s = await scene();
    const { w } = s;
    const res = await t.json(
      'POST',
      `/admin/api/tenants/${w.slug}/applications/${w.web.clientId}/revoke-tokens`,
      undefined,
      s.admin,
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ sessions: 2, sessionsEnded: 1, families: 2 });

    for (const token of [s.alone.access_token, s.shared.access_token, s.cc])
      await expectDead(s, token);
    for (const tokens of [s.alone, s.shared])
      expect((await refreshOf(s, tokens, w.web)).body.error).toBe('invalid_grant');
    // the session web alone was signed in to ended; the shared one lives on without web
    expect(await session(s.alone.sid)).toMatchObject({ ended: true, reason: 'tokens_revoked' });
    expect(await session(s.shared.sid)).toEqual({
      ended: false,
      reason: null,
      surfaces: [w.second.clientId],
    });
    await expectLive(s, s.sharedSecond.access_token);
    expect((await refreshOf(s, s.sharedSecond, w.second)).status).toBe(200);
    // web is told of both of its sign-ins; second of nothing
    await eventually(() => {
      expect(logoutsFor(s.alone.sid)).toEqual([w.web.clientId]);
      expect(logoutsFor(s.shared.sid)).toEqual([w.web.clientId]);
    });
    const audit = await t.get(
      `/admin/api/tenants/${w.slug}/audit?type=application_tokens_revoked`,
      s.admin,
    );
    expect(audit.body).toEqual([
      expect.objectContaining({
        clientId: w.web.clientId,
        detail: { sessions: 2, sessionsEnded: 1, families: 2 },
      }),
    ]);
    // the application itself keeps working: a token it gets from now on is live, however soon
    const fresh = (await w.cc()).body.access_token as string;
    await expectLive(s, fresh);
  });

  it('cuts a client’s own tokens exactly: one minted after a cut lives, one before dies, in whatever second they fall', async () => {
    const w = await world(t);
    const admin = await t.adminToken();
    const live = async (token: string) => (await w.introspect(token)).body.active as boolean;
    const mint = async () => (await w.cc()).body.access_token as string;
    const revokeTokens = () =>
      t.json(
        'POST',
        `/admin/api/tenants/${w.slug}/applications/${w.web.clientId}/revoke-tokens`,
        undefined,
        admin,
      );
    const before = await mint();
    expect((await revokeTokens()).status).toBe(200);
    const between = await mint(); // most likely in the second of the first cut
    expect([await live(before), await live(between)]).toEqual([false, true]);
    expect((await revokeTokens()).status).toBe(200); // again, at once
    const after = await mint();
    expect([await live(between), await live(after)]).toEqual([false, true]);
    // deleted and created again under the same client id: the old cut reaches none of the new tokens
    const body = (await t.get(`/admin/api/tenants/${w.slug}/applications/${w.web.clientId}`, admin))
      .body;
    await t.json(
      'DELETE',
      `/admin/api/tenants/${w.slug}/applications/${w.web.clientId}`,
      undefined,
      admin,
    );
    const again = await t.given.app(w.slug, {
      clientId: w.web.clientId,
      clientSecret: w.web.secret,
      grantTypes: body.grantTypes,
      redirectUris: body.redirectUris,
      grants: body.grants,
    });
    expect(again.clientId).toBe(w.web.clientId);
    const reborn = await mint();
    expect([await live(after), await live(reborn)]).toEqual([false, true]);
  });

  it('mints a live token at once after a cut on the instance that made it, however late the cut’s notification', async () => {
    const w = await world(t);
    const admin = await t.adminToken();
    const mint = async () => (await w.cc()).body.access_token as string;
    const before = await mint(); // the application is in this instance's cache now
    // the instance hears configuration changes late (a busy listener, a slow link)
    const bus = t.server.app.get(NotifyBus);
    const held: unknown[][] = [];
    const emit = bus.emit.bind(bus);
    bus.emit = ((event: string | symbol, ...args: unknown[]) => {
      if (event !== CONFIG_CHANNEL) return emit(event, ...args);
      held.push(args);
      return true;
    }) as typeof bus.emit;
    try {
      const cut = await t.json(
        'POST',
        `/admin/api/tenants/${w.slug}/applications/${w.web.clientId}/revoke-tokens`,
        undefined,
        admin,
      );
      expect(cut.status).toBe(200);
      const after = await mint();
      const live = async (token: string) => (await w.introspect(token)).body.active as boolean;
      expect([await live(before), await live(after)]).toEqual([false, true]);
    } finally {
      bus.emit = emit;
      for (const args of held) emit(CONFIG_CHANNEL, ...args);
    }
  });

  it('disabling an application ends what it held, and it authenticates nowhere and starts no sign-in until enabled again', async () => {
    const s = await scene();
    const { w } = s;
    const res = await t.json(
      'PATCH',
      `/admin/api/tenants/${w.slug}/applications/${w.web.clientId}`,
      { isDisabled: true },
      s.admin,
    );
    expect(res.status).toBe(200);
    expect(res.body.isDisabled).toBe(true);
    for (const token of [s.alone.access_token, s.shared.access_token, s.cc])
      await expectDead(s, token);
    expect(await session(s.alone.sid)).toMatchObject({
      ended: true,
      reason: 'application_disabled',
    });
    expect((await session(s.shared.sid))?.surfaces).toEqual([w.second.clientId]);
    await expectLive(s, s.sharedSecond.access_token);
    await eventually(() => {
      expect(logoutsFor(s.alone.sid)).toEqual([w.web.clientId]);
      expect(logoutsFor(s.shared.sid)).toEqual([w.web.clientId]);
    });

    // refused as an unknown client everywhere: token, refresh, introspection, the feed, sign-in
    expect((await w.cc()).status).toBe(401);
    expect((await refreshOf(s, s.shared, w.web)).body.error).toBe('invalid_client');
    expect((await w.introspect(s.sharedSecond.access_token, w.web)).status).toBe(401);
    expect(
      (await send(`${w.issuer}/revocations`, { headers: { authorization: basicOf(w.web) } }))
        .status,
    ).toBe(401);
    const authorize = await new Browser().get(
      `${w.issuer}/authorize?${new URLSearchParams({ response_type: 'code', client_id: w.web.clientId, redirect_uri: CB })}`,
    );
    expect(authorize.status).toBe(400);
    expect(authorize.headers.get('location')).toBeNull();

    // enabled again: new tokens work, what it held stays ended
    await t.json(
      'PATCH',
      `/admin/api/tenants/${w.slug}/applications/${w.web.clientId}`,
      { isDisabled: false },
      s.admin,
    );
    await expectLive(s, (await w.cc()).body.access_token as string);
    for (const token of [s.alone.access_token, s.shared.access_token, s.cc])
      await expectDead(s, token);
  });

  it('deleting an application ends what it held before it goes', async () => {
    const s = await scene();
    const { w } = s;
    const res = await t.json(
      'DELETE',
      `/admin/api/tenants/${w.slug}/applications/${w.web.clientId}`,
      undefined,
      s.admin,
    );
    expect(res.status).toBe(204);
    for (const token of [s.alone.access_token, s.shared.access_token, s.cc])
      await expectDead(s, token);
    expect(await session(s.alone.sid)).toMatchObject({
      ended: true,
      reason: 'application_deleted',
    });
    expect(await session(s.shared.sid)).toMatchObject({
      ended: false,
      surfaces: [w.second.clientId],
    });
    await expectLive(s, s.sharedSecond.access_token);
    expect(
      await t.sql(`SELECT 1 FROM applications WHERE client_id = $1`, [w.web.clientId]),
    ).toEqual([]);
  });

  it('deleting a resource server ends every token for it, client_credentials ones included, and every family granted it', async () => {
    // the service behind the deleted resource server may still run: its guard follows the feed
    // with an application's credentials (the resource server's own go with it)
    const s = await scene((w) => w.second);
    const { w } = s;
    // second may also call the other API: those tokens are not the deleted server's
    const grants = [
      {
        resourceServer: w.rs.identifier,
        scopes: ['orders:read', 'orders:write'],
        flows: ['user', 'client_credentials'],
      },
      { resourceServer: w.other.identifier, scopes: ['x'], flows: ['client_credentials'] },
    ];
    await t.json(
      'PATCH',
      `/admin/api/tenants/${w.slug}/applications/${w.second.clientId}`,
      { grants },
      s.admin,
    );
    const forOther = (await w.cc(w.second, { resource: w.other.identifier })).body
      .access_token as string;
    const res = await t.json(
      'DELETE',
      `/admin/api/tenants/${w.slug}/resource-servers/${w.rs.id}`,
      undefined,
      s.admin,
    );
    expect(res.status).toBe(204);
    for (const token of [
      s.alone.access_token,
      s.shared.access_token,
      s.sharedSecond.access_token,
      s.cc,
    ])
      await expectDead(s, token, w.second);
    for (const [tokens, app] of [
      [s.alone, w.web],
      [s.shared, w.web],
      [s.sharedSecond, w.second],
    ] as const)
      expect((await refreshOf(s, tokens, app)).body.error).toBe('invalid_grant');
    // sessions live on (they were granted more than one API's tokens); the other API's token too
    expect((await session(s.shared.sid))?.ended).toBe(false);
    expect((await w.introspect(forOther, w.second)).body.active).toBe(true);
    const feed = await send(`${w.issuer}/revocations?after=0`, {
      headers: { authorization: basicOf(w.second) },
    });
    expect(feed.body.events).toContainEqual(
      expect.objectContaining({
        type: 'audience',
        aud: w.rs.identifier,
        notBefore: expect.any(Number),
        reason: 'resource_server_deleted',
      }),
    );
  });

  it('deleting a user ends every session first, with back-channel logouts', async () => {
    const s = await scene();
    const { w } = s;
    const res = await t.json(
      'DELETE',
      `/admin/api/tenants/${w.slug}/users/${w.user.id}`,
      undefined,
      s.admin,
    );
    expect(res.status).toBe(204);
    for (const token of [s.alone.access_token, s.shared.access_token, s.sharedSecond.access_token])
      await expectDead(s, token);
    expect((await t.get(`/admin/api/tenants/${w.slug}/users/${w.user.id}`, s.admin)).status).toBe(
      404,
    );
    expect(await session(s.shared.sid)).toBeUndefined(); // gone with the user
    await eventually(() => {
      expect(logoutsFor(s.alone.sid)).toEqual([w.web.clientId]);
      expect(logoutsFor(s.shared.sid).sort()).toEqual([w.second.clientId, w.web.clientId].sort());
    });
    await expectLive(s, s.cc); // the application's own token was never the user's
  });

  it('deleting a tenant: its issuer is gone at once, open feed streams deliver the end, logouts go out, and it is purged after its tokens', async () => {
    const s = await scene();
    const { w } = s;
    const res = await t.json('DELETE', `/admin/api/tenants/${w.slug}`, undefined, s.admin);
    expect(res.status).toBe(204);
    // no endpoint of the issuer answers: no token of it can be active at introspection
    for (const path of ['/.well-known/openid-configuration', '/jwks.json'])
      expect((await send(`${w.issuer}${path}`)).status).toBe(404);
    const introspection = await w.introspect(s.cc);
    expect(introspection.status).toBe(404);
    expect(introspection.body.active).toBeUndefined();
    expect((await w.cc()).status).toBe(404);
    // a guard whose feed stream was open refuses every token at once
    for (const token of [
      s.alone.access_token,
      s.shared.access_token,
      s.sharedSecond.access_token,
      s.cc,
    ])
      await eventually(() =>
        expect(s.guard.verify(token)).rejects.toBeInstanceOf(TokenRejectedError),
      );
    // the back-channel logouts of its sessions go out, signed by its key
    await eventually(() => {
      expect(logoutsFor(s.alone.sid)).toEqual([w.web.clientId]);
      expect(logoutsFor(s.shared.sid).sort()).toEqual([w.second.clientId, w.web.clientId].sort());
    });
    // gone from the admin API; the slug stays reserved while its tokens could live
    expect((await t.get(`/admin/api/tenants/${w.slug}`, s.admin)).status).toBe(404);
    const listed = await t.get('/admin/api/tenants', s.admin);
    expect(listed.body.map((x: { slug: string }) => x.slug)).not.toContain(w.slug);
    const again = await t.json(
      'POST',
      '/admin/api/tenants',
      { slug: w.slug, name: 'again' },
      s.admin,
    );
    expect(again.status).toBe(409);
    const [audit] = (
      await t.get('/admin/api/tenants/system/audit?type=tenant_deleted', s.admin)
    ).body.filter((e: { detail: { tenant: string } }) => e.detail.tenant === w.slug);
    expect(audit.detail).toMatchObject({ tenantId: w.tenantId, sessionsEnded: 2 });

    // once nothing it issued can be live, it is purged with everything it owned
    const tenants = t.server.app.get(TenantsService);
    expect(await tenants.purgeDeleted()).toBe(0); // not yet
    await t.sql(
      `UPDATE tenants SET deleted_at = now() - interval '1 day 121 seconds' WHERE id = $1`,
      [w.tenantId],
    );
    expect(await tenants.purgeDeleted()).toBe(1);
    for (const table of ['tenants', 'sessions', 'applications', 'revocation_events'])
      expect(
        await t.sql(
          `SELECT 1 FROM ${table} WHERE ${table === 'tenants' ? 'id' : 'tenant_id'} = $1`,
          [w.tenantId],
        ),
      ).toEqual([]);
    expect(
      (await t.json('POST', '/admin/api/tenants', { slug: w.slug, name: 'again' }, s.admin)).status,
    ).toBe(201);
  });

  it('refuses to delete the system tenant, and a tenant to its own administrators', async () => {
    const w = await world(t);
    expect(
      (await t.json('DELETE', '/admin/api/tenants/system', undefined, await t.adminToken())).status,
    ).toBe(403);
    // an administrator of that tenant only (not of the system tenant): an application of its own
    const client = await t.given.app(w.slug, {
      grants: [
        {
          resourceServer: 'urn:tessera:admin-api',
          scopes: ['admin:tenants:write'],
          flows: ['client_credentials'],
        },
      ],
    });
    await t.json(
      'PUT',
      `/admin/api/tenants/${w.slug}/admins`,
      { subject: client.clientId },
      await t.adminToken(),
    );
    const token = (await t.token(w.slug, { grant_type: 'client_credentials' }, client)).body
      .access_token;
    expect((await t.json('DELETE', `/admin/api/tenants/${w.slug}`, undefined, token)).status).toBe(
      403,
    );
    expect((await send(`${w.issuer}/.well-known/openid-configuration`)).status).toBe(200);
  });
});

function basicOf(c: Credentials): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(c.clientId)}:${encodeURIComponent(c.secret)}`).toString('base64')}`;
}
