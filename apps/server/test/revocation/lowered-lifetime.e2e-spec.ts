import { claims, useTestServer } from '../support/harness';
import { world as securityWorld, type World } from '../support/world';

/**
 * A revocation event is kept (on the feed, and by introspection) until its `exp`. An administrator
 * who shortens an application's access-token lifetime does not shorten the tokens already minted
 * with the longer one: an event written afterwards must still outlive them.
 */
describe('a revocation event outlives the tokens it cuts, after their lifetime was shortened', () => {
  const t = useTestServer();

  /** The web application issues 10-minute access tokens, then is changed to 1 minute. */
  async function shortenedAfterSignIn(): Promise<{
    w: World;
    token: string;
    rt: string;
    sid: string;
  }> {
    const w = await securityWorld(t);
    const setTtl = async (accessTokenTtl: string) => {
      const res = await t.json(
        'PATCH',
        `/admin/api/tenants/${w.slug}/applications/${w.web.clientId}`,
        { policy: { accessTokenTtl } },
        await t.adminToken(),
      );
      expect(res.status).toBe(200);
    };
    await setTtl('10m');
    const s = await w.signIn(w.web);
    expect(s.expires_in).toBe(600);
    await setTtl('1m');
    // the lifetime really is shorter now: a new sign-in gets a 1-minute token
    expect((await w.signIn(w.web)).expires_in).toBe(60);
    return { w, token: s.access_token, rt: s.refresh_token, sid: s.sid };
  }

  /** The latest event of the tenant: seconds until its expiry, by the database clock. */
  async function latestEvent(w: World, type: string) {
    const [row] = await t.sql<{ id: string; left: number }>(
      `SELECT id::text AS id, extract(epoch FROM expires_at - now())::float8 AS left
       FROM revocation_events WHERE tenant_id = $1 AND type = $2 ORDER BY id DESC LIMIT 1`,
      [w.tenantId, type],
    );
    return row;
  }

  /** Moves an event's expiry earlier by `seconds`, as if that much time had passed for it. */
  const age = (id: string, seconds: number) =>
    t.sql(
      `UPDATE revocation_events SET expires_at = expires_at - $2 * interval '1 second' WHERE id = $1::bigint`,
      [id, seconds],
    );

  it('RFC 7009 revocation of the family: introspection says inactive until the 10-minute token expires', async () => {
    const { w, token, rt } = await shortenedAfterSignIn();
    expect((await w.revoke(rt)).status).toBe(200);
    expect((await w.introspect(token)).body).toEqual({ active: false });

    const event = await latestEvent(w, 'family');
    const tokenLeft = claims(token).exp - Date.now() / 1000;
    // the invariant: the event is kept at least as long as the token lives
    expect(event.left).toBeGreaterThanOrEqual(tokenLeft);

    // 30 s before the token expires (its session lives on, the family row is not consulted for a
    // JWT: the event alone cuts it)
    await age(event.id, Math.floor(tokenLeft) - 30);
    expect((await w.introspect(token)).body).toEqual({ active: false });
  });

  it('an ended session: its event (what feed-following validators see) outlives the token too', async () => {
    const { w, token, sid } = await shortenedAfterSignIn();
    await t.revokeSession(w.slug, sid);
    const event = await latestEvent(w, 'session');
    expect(event.left).toBeGreaterThanOrEqual(claims(token).exp - Date.now() / 1000);
    // introspection also reads the session's own row: inactive whatever the event says
    await age(event.id, Math.floor(claims(token).exp - Date.now() / 1000) - 30);
    expect((await w.introspect(token)).body).toEqual({ active: false });
  });
});
