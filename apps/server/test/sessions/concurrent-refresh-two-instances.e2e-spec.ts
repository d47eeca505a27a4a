import { basic, form, send, startTestServer, useTestServer } from '../support/harness';
import type { StartedTestServer } from '../support/harness';
import { world, type World } from '../support/world';
import { describeOnServer } from '../support/faults';

/**
 * FT-06: 50 concurrent refreshes of one refresh token, grace 0, split across two server instances
 * of one issuer on one database. The row lock decides, not process memory: exactly one wins.
 */
describeOnServer('FT-06 concurrent refreshes of one token across two instances', () => {
  const t = useTestServer();
  let twin: StartedTestServer;
  let w: World;

  beforeAll(async () => {
    twin = await startTestServer(t.databaseUrl, { PUBLIC_URL: t.url }); // the same issuer
    w = await world(t, {}, { reuseGraceSeconds: 0, onReuse: 'revoke-family' });
  });
  afterAll(async () => {
    await twin?.server.stop();
  });

  const refreshAt = (base: string, token: string) =>
    send(`${base}/t/${w.slug}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basic(w.web.clientId, w.web.secret),
      },
      body: form({ grant_type: 'refresh_token', refresh_token: token }),
    });

  it('lets exactly one win; the other 49 get invalid_grant, none a 5xx; one successor; the family is revoked', async () => {
    const signedIn = await w.signIn();
    const instances = [t.url, `http://127.0.0.1:${twin.config.port}`];
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => refreshAt(instances[i % 2], signedIn.refresh_token)),
    );
    expect(results.filter((r) => r.status >= 500)).toEqual([]);
    const ok = results.filter((r) => r.status === 200);
    expect(ok).toHaveLength(1);
    expect(
      results.filter((r) => r.status === 400 && r.body.error === 'invalid_grant'),
    ).toHaveLength(49);

    const families = await t.sql<{ id: string; revoked: boolean }>(
      `SELECT id, revoked_at IS NOT NULL AS revoked FROM refresh_token_families WHERE session_id = $1`,
      [signedIn.sid],
    );
    expect(families).toHaveLength(1);
    expect(families[0].revoked).toBe(true);
    const successors = await t.sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM refresh_tokens WHERE family_id = $1 AND parent_id IS NOT NULL`,
      [families[0].id],
    );
    expect(successors).toEqual([{ n: 1 }]);
    // the winner's token died with its family, on both instances
    for (const base of instances)
      expect((await refreshAt(base, ok[0].body.refresh_token as string)).body.error).toBe(
        'invalid_grant',
      );
  });
});
