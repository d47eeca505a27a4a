import { useTestServer, signIn as signInAs } from '../support/harness';

const cb = 'https://app.example.test/cb';

interface Ended {
  id: string;
  userId: string;
  userEmail: string;
  reason: string;
  endedAt: string;
  endedBy: { subject: string; email: string | null } | null;
  applications: Array<{ clientId: string }>;
}

describe('admin API: the session history', () => {
  const t = useTestServer({ env: { TESSERA_RETENTION_SESSION_HISTORY_DAYS: '30' } });
  let slug: string;
  let web: { clientId: string; secret: string };
  let other: { clientId: string; secret: string };
  let ada: { id: string; email: string; password: string };
  let bob: { id: string; email: string; password: string };
  let admin: { id: string; email: string; token: string };
  const ended: Record<'revoked' | 'everywhere' | 'disabled' | 'logout', string> = {
    revoked: '',
    everywhere: '',
    disabled: '',
    logout: '',
  };
  let live: string;

  const signIn = (
    app: { clientId: string; secret: string },
    u: { email: string; password: string },
    scope?: string,
  ) => signInAs(t, slug, { app, redirectUri: cb, email: u.email, password: u.password, scope });
  const history = async (query = '', token?: string) =>
    t.get(`/admin/api/tenants/${slug}/sessions/history${query}`, token ?? admin.token);
  const ids = (body: { items: Ended[] }) => body.items.map((s) => s.id);

  beforeAll(async () => {
    ({ slug } = await t.given.tenant());
    const app = { grantTypes: ['authorization_code', 'refresh_token'], redirectUris: [cb] };
    web = await t.given.app(slug, app);
    other = await t.given.app(slug, app);
    ada = await t.given.user(slug);
    bob = await t.given.user(slug);
    const a = await t.given.tenantAdmin(slug);
    admin = { id: a.id, email: a.email, token: a.tokens.access_token };

    // an administrator of the tenant revokes one of Ada's sessions
    ended.revoked = (await signIn(web, ada)).sid;
    const revoked = await t.json(
      'DELETE',
      `/admin/api/tenants/${slug}/sessions/${ended.revoked}`,
      { reason: 'stolen laptop' },
      admin.token,
    );
    expect(revoked.status).toBe(204);
    // … signs Bob out everywhere, after he signed in to the other application
    ended.everywhere = (await signIn(other, bob)).sid;
    const out = await t.json(
      'POST',
      `/admin/api/tenants/${slug}/users/${bob.id}/sign-out`,
      {},
      admin.token,
    );
    expect(out.body).toEqual({ ended: 1 });
    // Ada signs herself out of another session (RP-initiated logout)
    const mine = await signIn(web, ada, 'openid');
    ended.logout = mine.sid;
    const logout = await mine.browser.get(
      `${t.issuer(slug)}/logout?${new URLSearchParams({ id_token_hint: mine.id_token })}`,
    );
    expect(logout.status).toBeLessThan(400);
    // and one session lives on
    live = (await signIn(web, ada)).sid;
  });

  it('lists ended sessions, last ended first, with how, when and by whom each ended', async () => {
    const res = await history();
    expect(res.status).toBe(200);
    expect(res.body.keptDays).toBe(30);
    expect(ids(res.body)).toEqual([ended.logout, ended.everywhere, ended.revoked]);
    expect(ids(res.body)).not.toContain(live);
    const [logout, everywhere, revoked] = res.body.items as Ended[];
    expect(revoked).toMatchObject({
      userId: ada.id,
      userEmail: ada.email,
      reason: 'admin',
      endedBy: { subject: admin.id, email: admin.email },
      applications: [{ clientId: web.clientId }],
    });
    expect(everywhere).toMatchObject({
      userEmail: bob.email,
      reason: 'sign_out_everywhere',
      endedBy: { subject: admin.id, email: admin.email },
    });
    // the server ended it on the user's request: no administrator
    expect(logout).toMatchObject({ userEmail: ada.email, reason: 'logout', endedBy: null });
    const [row] = await t.sql(`SELECT revoked_at, revoked_by FROM sessions WHERE id = $1`, [
      ended.revoked,
    ]);
    expect(row.revoked_by).toBe(admin.id);
    expect(new Date(revoked.endedAt).getTime()).toBe(new Date(row.revoked_at).getTime());
  });

  it('says how an ended session ended on its detail, and names users by email in the live list', async () => {
    const detail = await t.get(`/admin/api/tenants/${slug}/sessions/${ended.revoked}`, admin.token);
    expect(detail.body).toMatchObject({
      userEmail: ada.email,
      revocationReason: 'admin',
      revokedAt: expect.any(String),
      revokedBy: { subject: admin.id, email: admin.email },
    });
    const list = await t.get(`/admin/api/tenants/${slug}/sessions?user=${ada.id}`, admin.token);
    expect(list.body.items).toEqual([expect.objectContaining({ id: live, userEmail: ada.email })]);
  });

  it('records who disabled the user as the one who ended their sessions', async () => {
    const carol = await t.given.user(slug);
    ended.disabled = (await signIn(web, carol)).sid;
    const res = await t.json(
      'PATCH',
      `/admin/api/tenants/${slug}/users/${carol.id}`,
      { isDisabled: true },
      admin.token,
    );
    expect(res.status).toBe(200);
    const page = await history(`?user=${carol.id}`);
    expect(page.body.items).toEqual([
      expect.objectContaining({
        id: ended.disabled,
        reason: 'user_disabled',
        endedBy: { subject: admin.id, email: admin.email },
      }),
    ]);
  });

  it('filters by reason, user, application and time, and pages with a cursor and a Link', async () => {
    expect(ids((await history('?reason=admin')).body)).toEqual([ended.revoked]);
    expect(ids((await history(`?user=${bob.id}`)).body)).toEqual([ended.everywhere]);
    expect(ids((await history(`?application=${other.clientId}`)).body)).toEqual([ended.everywhere]);
    expect((await history('?application=no-such-client')).body).toEqual({
      items: [],
      nextCursor: null,
      keptDays: 30,
    });
    const [{ revoked_at: at }] = await t.sql(`SELECT revoked_at FROM sessions WHERE id = $1`, [
      ended.everywhere,
    ]);
    const iso = new Date(at).toISOString();
    // `from` includes the instant, `to` excludes it
    expect(ids((await history(`?from=${iso}&user=${bob.id}`)).body)).toEqual([ended.everywhere]);
    expect(ids((await history(`?to=${iso}&user=${bob.id}`)).body)).toEqual([]);
    expect(ids((await history(`?to=${encodeURIComponent(iso)}`)).body)).toEqual([ended.revoked]);

    const all = ids((await history()).body);
    expect(all).toHaveLength(4);
    const seen: string[] = [];
    let query = '?limit=1';
    for (let i = 0; i < 10; i++) {
      const page = await history(query);
      seen.push(...ids(page.body));
      if (!page.body.nextCursor) {
        expect(page.headers.get('link')).toBeNull();
        break;
      }
      expect(page.headers.get('link')).toBe(
        `</admin/api/tenants/${slug}/sessions/history?limit=1&cursor=${page.body.nextCursor}>; rel="next"`,
      );
      query = `?limit=1&cursor=${page.body.nextCursor}`;
    }
    expect(seen).toEqual(all);
  });

  it('refuses filters it does not know, with pointers', async () => {
    const res = await history('?reason=bored&from=yesterday&cursor=garbage');
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual([
      '/from',
      '/reason',
    ]);
    const cursor = await history('?cursor=garbage');
    expect(cursor.status).toBe(400);
    expect(cursor.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual(['/cursor']);
  });

  it('shows no session older than the retention window, even before the job deletes it', async () => {
    const old = (await signIn(web, ada)).sid;
    await t.revokeSession(slug, old);
    expect(ids((await history(`?user=${ada.id}`)).body)).toContain(old);
    await t.sql(`UPDATE sessions SET revoked_at = now() - interval '31 days' WHERE id = $1`, [old]);
    expect(ids((await history(`?user=${ada.id}`)).body)).not.toContain(old);
  });

  it('does not show a tenant’s history to another tenant’s administrator', async () => {
    const elsewhere = await t.given.tenant();
    const stranger = await t.given.tenantAdmin(elsewhere.slug);
    const refused = await history('', stranger.tokens.access_token);
    expect(refused.status).toBe(404);
    expect(JSON.stringify(refused.body)).not.toContain(ada.email);
    const detail = await t.get(
      `/admin/api/tenants/${slug}/sessions/${ended.revoked}`,
      stranger.tokens.access_token,
    );
    expect(detail.status).toBe(404);
    // their own tenant's history holds none of these sessions, even asked by id of this tenant's user
    const own = await t.get(
      `/admin/api/tenants/${elsewhere.slug}/sessions/history?user=${ada.id}`,
      stranger.tokens.access_token,
    );
    expect(own.status).toBe(200);
    expect(own.body.items).toEqual([]);
    const root = await t.get(
      `/admin/api/tenants/${elsewhere.slug}/sessions/history`,
      await t.adminToken(),
    );
    expect(root.body.items).toEqual([]);
  });
});
