import { useTestServer, signIn as signInAs } from '../support/harness';

const cb = 'https://app.example.test/cb';

describe('admin API: live sessions', () => {
  const t = useTestServer();
  let slug: string;
  let web: { clientId: string; secret: string };
  let other: { clientId: string; secret: string };
  let ada: { id: string; email: string; password: string };
  let bob: { id: string; email: string; password: string };
  const sids: string[] = [];

  const signIn = (
    app: { clientId: string; secret: string },
    u: { email: string; password: string },
  ) => signInAs(t, slug, { app, redirectUri: cb, email: u.email, password: u.password });

  beforeAll(async () => {
    ({ slug } = await t.given.tenant());
    web = await t.given.app(slug, {
      grantTypes: ['authorization_code', 'refresh_token'],
      redirectUris: [cb],
    });
    other = await t.given.app(slug, {
      grantTypes: ['authorization_code', 'refresh_token'],
      redirectUris: [cb],
    });
    ada = await t.given.user(slug);
    bob = await t.given.user(slug);
    sids.push(
      (await signIn(web, ada)).sid,
      (await signIn(other, ada)).sid,
      (await signIn(web, bob)).sid,
    );
  });

  it('lists live sessions, last seen first, with user, surfaces, address, agent and expiries', async () => {
    const res = await t.get(`/admin/api/tenants/${slug}/sessions`, await t.adminToken());
    expect(res.status).toBe(200);
    expect(res.body.items.map((s: { id: string }) => s.id)).toEqual([...sids].reverse());
    const item = res.body.items[0];
    expect(item).toEqual({
      id: sids[2],
      userId: bob.id,
      userEmail: bob.email,
      applications: [
        { clientId: web.clientId, firstSeenAt: expect.any(String), lastSeenAt: expect.any(String) },
      ],
      ip: expect.any(String),
      userAgent: expect.any(String),
      createdAt: expect.any(String),
      lastSeenAt: expect.any(String),
      authTime: expect.any(String),
      idleExpiresAt: expect.any(String),
      absoluteExpiresAt: expect.any(String),
    });
    expect(res.body.nextCursor).toBeNull();
  });

  it('filters by user and by application, and pages with a cursor', async () => {
    const token = await t.adminToken();
    const byUser = await t.get(`/admin/api/tenants/${slug}/sessions?user=${ada.id}`, token);
    expect(byUser.body.items.map((s: { id: string }) => s.id).sort()).toEqual(
      [sids[0], sids[1]].sort(),
    );
    const byApp = await t.get(
      `/admin/api/tenants/${slug}/sessions?application=${other.clientId}`,
      token,
    );
    expect(byApp.body.items.map((s: { id: string }) => s.id)).toEqual([sids[1]]);
    const page1 = await t.get(`/admin/api/tenants/${slug}/sessions?limit=2`, token);
    expect(page1.body.items).toHaveLength(2);
    // the next page is also in Link, as on every admin list
    expect(page1.headers.get('link')).toBe(
      `</admin/api/tenants/${slug}/sessions?limit=2&cursor=${page1.body.nextCursor}>; rel="next"`,
    );
    const page2 = await t.get(
      `/admin/api/tenants/${slug}/sessions?limit=2&cursor=${page1.body.nextCursor}`,
      token,
    );
    expect(page2.body.items.map((s: { id: string }) => s.id)).toEqual([sids[0]]);
    expect(page2.body.nextCursor).toBeNull();
    expect(page2.headers.get('link')).toBeNull();
    const bad = await t.get(`/admin/api/tenants/${slug}/sessions?cursor=garbage&limit=0`, token);
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { pointer: string }) => e.pointer)).toContain('/limit');
  });

  it('shows a session with each refresh-token family as a lineage', async () => {
    const s = await signIn(web, ada);
    const r1 = await t.token(
      slug,
      { grant_type: 'refresh_token', refresh_token: s.refresh_token },
      web,
    );
    await t.token(slug, { grant_type: 'refresh_token', refresh_token: r1.body.refresh_token }, web);
    const res = await t.get(`/admin/api/tenants/${slug}/sessions/${s.sid}`, await t.adminToken());
    expect(res.status).toBe(200);
    expect(res.body.families).toHaveLength(1);
    const lineage = res.body.families[0].tokens;
    expect(lineage.map((x: { generation: number }) => x.generation)).toEqual([0, 1, 2]);
    expect(lineage.map((x: { usedAt: string | null }) => x.usedAt !== null)).toEqual([
      true,
      true,
      false,
    ]);
    expect(JSON.stringify(res.body)).not.toContain(s.refresh_token);
  });

  it('answers 404 for an unknown session and for another tenant’s session', async () => {
    const token = await t.adminToken();
    expect(
      (
        await t.get(
          `/admin/api/tenants/${slug}/sessions/00000000-0000-4000-8000-000000000000`,
          token,
        )
      ).status,
    ).toBe(404);
    expect((await t.get(`/admin/api/tenants/${slug}/sessions/not-a-uuid`, token)).status).toBe(404);
    const elsewhere = await t.given.tenant();
    const res = await t.get(`/admin/api/tenants/${elsewhere.slug}/sessions/${sids[0]}`, token);
    expect(res.status).toBe(404);
    expect(
      (await t.get(`/admin/api/tenants/${elsewhere.slug}/sessions`, token)).body.items,
    ).toEqual([]);
  });
});
