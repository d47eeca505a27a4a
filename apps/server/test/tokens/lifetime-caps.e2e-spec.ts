import { claims, useTestServer } from '../support/harness';
import { world, type World } from '../support/world';

/**
 * Issue 16 §3: one cap for every lifetime that reaches an access token (1 day), whether the
 * tenant, an application or a resource server sets it; refused at the admin API, and applied where
 * tokens are minted, so rows written before the cap existed cannot mint beyond it.
 */
const CAP = 86400;
const FOUR_HUNDRED_DAYS = 400 * 86400; // 34 560 000 s: what a resource server could set before

describe('access-token lifetimes are capped everywhere', () => {
  const t = useTestServer();
  let w: World;
  beforeAll(async () => {
    w = await world(t);
  });

  const rsBody = (accessTokenTtl: string | null) => ({
    identifier: w.rs.identifier,
    name: 'Orders',
    scopes: [
      { name: 'orders:read', description: '' },
      { name: 'orders:write', description: '' },
    ],
    accessTokenTtl,
  });
  /** A row as an older release could have written it: the API refuses the value now. */
  const setRow = async (
    table: 'resource_servers' | 'applications',
    id: string,
    ttl: number | null,
  ) => {
    await t.sql(`UPDATE ${table} SET access_token_ttl = $2 WHERE id = $1`, [id, ttl]);
    // what a committed change announces, so no instance keeps the old row cached
    await t.sql(`SELECT pg_notify('tessera_config', $1)`, [w.tenantId]);
  };
  const webId = async () =>
    (await t.sql(`SELECT id FROM applications WHERE client_id = $1`, [w.web.clientId]))[0]
      .id as string;
  const expectCapped = (accessToken: string, expiresIn: number) => {
    const c = claims(accessToken);
    expect(c.exp - c.iat).toBe(CAP);
    expect(expiresIn).toBe(CAP);
  };

  afterEach(async () => {
    await setRow('resource_servers', w.rs.id, null);
    await setRow('applications', await webId(), null);
  });

  it('refuses a resource server lifetime beyond 1d with the field’s pointer, on create and on replace', async () => {
    const admin = await t.adminToken();
    const created = await t.json(
      'POST',
      `/admin/api/tenants/${w.slug}/resource-servers`,
      { ...rsBody('400d'), identifier: 'https://api.example.test/too-long' },
      admin,
    );
    expect(created.status).toBe(400);
    expect(created.body.errors).toEqual([{ pointer: '/accessTokenTtl', detail: 'At most 1d' }]);
    const replaced = await t.json(
      'PUT',
      `/admin/api/tenants/${w.slug}/resource-servers/${w.rs.id}`,
      rsBody('25h'),
      admin,
    );
    expect(replaced.status).toBe(400);
    expect(replaced.body.errors).toEqual([{ pointer: '/accessTokenTtl', detail: 'At most 1d' }]);
    const [row] = await t.sql(`SELECT access_token_ttl FROM resource_servers WHERE id = $1`, [
      w.rs.id,
    ]);
    expect(row.access_token_ttl).not.toBe(25 * 3600); // nothing was written
    const atCap = await t.json(
      'PUT',
      `/admin/api/tenants/${w.slug}/resource-servers/${w.rs.id}`,
      rsBody('1d'),
      admin,
    );
    expect(atCap.status).toBe(200);
    expect(atCap.body.accessTokenTtl).toBe('1d');
  });

  it('mints a client_credentials token for at most 1d from a resource server row of 400 days', async () => {
    await setRow('resource_servers', w.rs.id, FOUR_HUNDRED_DAYS);
    const res = await w.cc();
    expect(res.status).toBe(200);
    expectCapped(res.body.access_token, res.body.expires_in);
    const seen = await w.introspect(res.body.access_token);
    expect(seen.body.exp - seen.body.iat).toBe(CAP);
  });

  it('mints a user token for at most 1d from a resource server row of 400 days, at sign-in and at refresh', async () => {
    await setRow('resource_servers', w.rs.id, FOUR_HUNDRED_DAYS);
    const s = await w.signIn();
    expectCapped(s.access_token, s.expires_in);
    const refreshed = await w.refresh(s.refresh_token);
    expect(refreshed.status).toBe(200);
    expectCapped(refreshed.body.access_token, refreshed.body.expires_in);
  });

  it('mints no longer than 1d from an application row beyond the cap either', async () => {
    await setRow('applications', await webId(), FOUR_HUNDRED_DAYS);
    const res = await w.cc();
    expectCapped(res.body.access_token, res.body.expires_in);
  });

  it('keeps revocation events no longer than the capped lifetime + 120 s', async () => {
    await setRow('resource_servers', w.rs.id, FOUR_HUNDRED_DAYS);
    const s = await w.signIn();
    await t.revokeSession(w.slug, s.sid);
    const [event] = await t.sql(
      `SELECT extract(epoch FROM expires_at - created_at)::int AS lives FROM revocation_events WHERE sid = $1 AND type = 'session'`,
      [s.sid],
    );
    expect(event.lives).toBeLessThanOrEqual(CAP + 120);
    expect(event.lives).toBeGreaterThanOrEqual(CAP); // still outlives every token it cuts
  });
});
