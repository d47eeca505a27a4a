import { RetentionService } from '../../src/retention';
import {
  startTestServer,
  type StartedTestServer,
  type TestServer,
  useTestServer,
} from '../support/harness';
import { world, type World } from '../support/world';

/** Two sessions of `w`, both revoked, one `goneAgo` and one `keptAgo` (SQL intervals) ago. */
async function twoEnded(t: TestServer, w: World, goneAgo: string, keptAgo: string) {
  const gone = await w.signIn();
  const kept = await w.signIn();
  for (const [s, ago] of [
    [gone, goneAgo],
    [kept, keptAgo],
  ] as const) {
    await t.revokeSession(w.slug, s.sid);
    await t.sql(`UPDATE sessions SET revoked_at = now() - $2::interval WHERE id = $1`, [
      s.sid,
      ago,
    ]);
  }
  return { gone, kept };
}

/**
 * The retention job (docs/operations.md §4, Retention). The test server runs it only when asked
 * (RetentionService.runOnce); rows are made old by moving their timestamps back in SQL.
 */
describe('retention job', () => {
  const t = useTestServer();
  let w: World;
  const job = () => t.server.app.get(RetentionService);

  beforeAll(async () => {
    w = await world(t);
  });

  /** The rows of one session and everything hanging off it. */
  async function rowsOf(sid: string) {
    const [row] = await t.sql<Record<string, number>>(
      `SELECT (SELECT count(*)::int FROM sessions WHERE id = $1) AS sessions,
              (SELECT count(*)::int FROM session_surfaces WHERE session_id = $1) AS surfaces,
              (SELECT count(*)::int FROM authorization_codes WHERE session_id = $1) AS codes,
              (SELECT count(*)::int FROM refresh_token_families WHERE session_id = $1) AS families,
              (SELECT count(*)::int FROM refresh_tokens rt JOIN refresh_token_families f ON f.id = rt.family_id
                WHERE f.session_id = $1) AS tokens,
              (SELECT count(*)::int FROM refresh_tokens rt JOIN refresh_token_families f ON f.id = rt.family_id
                WHERE f.session_id = $1 AND rt.used_at IS NOT NULL) AS consumed`,
      [sid],
    );
    return row;
  }

  /** Signs in and rotates the refresh token `rotations` times; returns the newest tokens. */
  async function signedInAndRotated(rotations: number) {
    const first = await w.signIn();
    let tokens = { ...first };
    for (let i = 0; i < rotations; i++) {
      const res = await w.refresh(tokens.refresh_token);
      expect(res.status).toBe(200);
      tokens = { ...tokens, ...res.body };
    }
    return { first, tokens };
  }

  it('keeps a live session, its current refresh token and the consumed tokens of its live family, however many runs', async () => {
    const { first, tokens } = await signedInAndRotated(3);
    // an old sign-in is no reason to go: only an end is
    await t.sql(
      `UPDATE sessions SET created_at = now() - interval '500 days', auth_time = now() - interval '500 days' WHERE id = $1`,
      [first.sid],
    );
    await t.sql(
      `UPDATE audit_events SET created_at = now() - interval '399 days' WHERE session_id = $1`,
      [first.sid],
    );
    const before = await rowsOf(first.sid);
    expect(before).toEqual({
      sessions: 1,
      surfaces: 1,
      codes: 1,
      families: 1,
      tokens: 4,
      consumed: 3,
    });
    const audit = await t.sql(`SELECT id FROM audit_events WHERE session_id = $1`, [first.sid]);
    expect(audit.length).toBeGreaterThan(0);

    for (let run = 0; run < 3; run++) await job().runOnce();

    expect(await rowsOf(first.sid)).toEqual(before);
    expect(await t.sql(`SELECT id FROM audit_events WHERE session_id = $1`, [first.sid])).toEqual(
      audit,
    );
    expect((await w.introspect(tokens.access_token, w.rsCreds)).body.active).toBe(true);
    // the consumed tokens are still there to be recognised: the first one coming back is reuse
    const replay = await w.refresh(first.refresh_token);
    expect(replay.body.error).toBe('invalid_grant');
    expect(
      await t.sql(`SELECT revocation_reason FROM sessions WHERE id = $1`, [first.sid]),
    ).toEqual([{ revocation_reason: 'reuse_detected' }]);
  });

  it('deletes a session past its absolute expiry and the history window, with its surfaces, codes, families and refresh tokens', async () => {
    const { first } = await signedInAndRotated(2);
    const kept = await signedInAndRotated(1);
    await t.sql(
      `UPDATE sessions SET absolute_expires_at = now() - interval '31 days', idle_expires_at = now() - interval '31 days' WHERE id = $1`,
      [first.sid],
    );
    // ended (absolute expiry passed) within the window: kept for the account's and admin's history
    await t.sql(
      `UPDATE sessions SET absolute_expires_at = now() - interval '29 days', idle_expires_at = now() - interval '29 days' WHERE id = $1`,
      [kept.first.sid],
    );
    const keptRows = await rowsOf(kept.first.sid);

    const counts = await job().runOnce();

    expect(await rowsOf(first.sid)).toEqual({
      sessions: 0,
      surfaces: 0,
      codes: 0,
      families: 0,
      tokens: 0,
      consumed: 0,
    });
    expect(await rowsOf(kept.first.sid)).toEqual(keptRows);
    expect(counts).toMatchObject({ sessions: 1, refresh_token_families: 1, refresh_tokens: 3 });
  });

  it('deletes a revoked session once the history window has passed, not before', async () => {
    const { gone, kept } = await twoEnded(t, w, '31 days', '29 days');

    await job().runOnce();

    expect((await rowsOf(gone.sid)).sessions).toBe(0);
    expect((await rowsOf(gone.sid)).tokens).toBe(0);
    expect(await rowsOf(kept.sid)).toMatchObject({ sessions: 1, families: 1, tokens: 1 });
  });

  it('deletes a dead family of a live session with its tokens, and leaves the session and its live family', async () => {
    const session = await signedInAndRotated(2);
    // a second application's sign-in to the same session: its own family, revoked (RFC 7009)
    const other = await w.signIn(w.second, undefined, session.first.browser);
    expect(other.sid).toBe(session.first.sid);
    expect((await w.revoke(other.refresh_token, w.second)).status).toBe(200);
    const [dead] = await t.sql<{ id: string }>(
      `SELECT f.id FROM refresh_token_families f WHERE f.session_id = $1 AND f.revoked_at IS NOT NULL`,
      [session.first.sid],
    );
    await t.sql(
      `UPDATE refresh_token_families SET revoked_at = now() - interval '31 days' WHERE id = $1`,
      [dead.id],
    );

    await job().runOnce();

    expect(
      await t.sql(`SELECT 1 FROM refresh_tokens WHERE family_id = $1`, [dead.id]),
    ).toHaveLength(0);
    expect(await rowsOf(session.first.sid)).toMatchObject({
      sessions: 1,
      families: 1,
      tokens: 3,
      consumed: 2,
    });
    expect((await w.refresh(session.tokens.refresh_token)).status).toBe(200);
  });

  it('deletes authorization codes a day past their expiry, and feed events past their exp and the margin only', async () => {
    const live = await w.signIn();
    await t.sql(
      `UPDATE authorization_codes SET expires_at = now() - interval '2 days' WHERE session_id = $1`,
      [live.sid],
    );
    // one event per kind of age: long past (goes), just past its exp (within the margin: stays), live
    const ids = await t.sql<{ id: string }>(
      `INSERT INTO revocation_events (tenant_id, type, jti, client_id, reason, expires_at)
       SELECT $1, 'access_token', 'jti-' || age, $2, 'revoked', now() - age::interval
       FROM unnest(ARRAY['2 days', '60 seconds', '-1 hour']) AS age
       RETURNING id`,
      [w.tenantId, w.web.clientId],
    );
    expect(ids).toHaveLength(3);

    await job().runOnce();

    expect(
      await t.sql(`SELECT 1 FROM authorization_codes WHERE session_id = $1`, [live.sid]),
    ).toHaveLength(0);
    expect((await rowsOf(live.sid)).sessions).toBe(1);
    expect(
      await t.sql(
        `SELECT jti FROM revocation_events WHERE tenant_id = $1 AND jti LIKE 'jti-%' ORDER BY jti`,
        [w.tenantId],
      ),
    ).toEqual([{ jti: 'jti--1 hour' }, { jti: 'jti-60 seconds' }]);
  });

  it('keeps every event that still cuts a live token: revoked access tokens stay refused through any number of runs', async () => {
    const live = await w.signIn();
    expect((await w.revoke(live.access_token, w.web)).status).toBe(200);
    for (let run = 0; run < 3; run++) await job().runOnce();
    expect((await w.introspect(live.access_token, w.rsCreds)).body).toEqual({ active: false });
  });

  it('deletes finished back-channel deliveries after the history window, never a pending one', async () => {
    const s = await w.signIn();
    const [{ id: appId }] = await t.sql<{ id: string }>(
      `SELECT id FROM applications WHERE tenant_id = $1 AND client_id = $2`,
      [w.tenantId, w.web.clientId],
    );
    await t.sql(
      `INSERT INTO backchannel_deliveries (id, tenant_id, application_id, session_id, sub, status, created_at)
       SELECT gen_random_uuid(), $1, $2, $3, $4, status, now() - age::interval
       FROM (VALUES ('delivered', '31 days'), ('failed', '31 days'), ('pending', '31 days'),
                    ('delivered', '29 days')) AS v(status, age)`,
      [w.tenantId, appId, s.sid, w.user.id],
    );

    await job().runOnce();

    expect(
      await t.sql(
        `SELECT status, (created_at < now() - interval '30 days') AS old FROM backchannel_deliveries
         WHERE session_id = $1 ORDER BY status`,
        [s.sid],
      ),
    ).toEqual([
      { status: 'delivered', old: false },
      { status: 'pending', old: true },
    ]);
  });

  it('deletes finished Shared Signals events after the history window, unacknowledged ones after 7 days', async () => {
    const [{ id: appId }] = await t.sql<{ id: string }>(
      `SELECT id FROM applications WHERE tenant_id = $1 AND client_id = $2`,
      [w.tenantId, w.web.clientId],
    );
    const [{ id: streamId }] = await t.sql<{ id: string }>(
      `INSERT INTO ssf_streams (id, tenant_id, application_id, audience, delivery_method)
       VALUES (gen_random_uuid(), $1, $2, 'receiver', 'urn:ietf:rfc:8936') RETURNING id`,
      [w.tenantId, appId],
    );
    await t.sql(
      `INSERT INTO ssf_events (jti, tenant_id, stream_id, event_type, subject, status, created_at)
       SELECT gen_random_uuid(), $1, $2, 'urn:example:event', jsonb_build_object('age', age), status, now() - age::interval
       FROM (VALUES ('delivered', '31 days'), ('failed', '31 days'), ('delivered', '10 days'),
                    ('pending', '8 days'), ('pending', '6 days')) AS v(status, age)`,
      [w.tenantId, streamId],
    );

    await job().runOnce();

    expect(
      await t.sql(
        `SELECT status, subject->>'age' AS age FROM ssf_events WHERE stream_id = $1 ORDER BY status`,
        [streamId],
      ),
    ).toEqual([
      { status: 'delivered', age: '10 days' },
      { status: 'pending', age: '6 days' },
    ]);
  });

  it('deletes rate-limit counters past their window and block, and audit rows past the retention', async () => {
    await t.sql(
      `INSERT INTO rate_limit_counters (key, hits, window_started_at, blocked_until) VALUES
         ('retention:old', 3, now() - interval '2 days', NULL),
         ('retention:blocked', 3, now() - interval '2 days', now() + interval '1 hour'),
         ('retention:current', 3, now(), NULL)`,
    );
    const [audit] = await t.sql<{ id: string }>(
      `SELECT id FROM audit_events WHERE tenant_id = $1 ORDER BY created_at LIMIT 1`,
      [w.tenantId],
    );
    await t.sql(`UPDATE audit_events SET created_at = now() - interval '401 days' WHERE id = $1`, [
      audit.id,
    ]);

    await job().runOnce();

    expect(
      await t.sql(`SELECT key FROM rate_limit_counters WHERE key LIKE 'retention:%' ORDER BY key`),
    ).toEqual([{ key: 'retention:blocked' }, { key: 'retention:current' }]);
    expect(await t.sql(`SELECT 1 FROM audit_events WHERE id = $1`, [audit.id])).toHaveLength(0);
  });

  it('purges a deleted tenant once nothing it issued can live', async () => {
    const doomed = await t.given.tenant();
    const res = await t.json(
      'DELETE',
      `/admin/api/tenants/${doomed.slug}`,
      undefined,
      await t.adminToken(),
    );
    expect(res.status).toBe(204);
    await job().runOnce();
    expect(await t.sql(`SELECT 1 FROM tenants WHERE id = $1`, [doomed.id])).toHaveLength(1);
    await t.sql(`UPDATE tenants SET deleted_at = now() - interval '2 days' WHERE id = $1`, [
      doomed.id,
    ]);
    expect(await job().runOnce()).toMatchObject({ tenants: 1 });
    expect(await t.sql(`SELECT 1 FROM tenants WHERE id = $1`, [doomed.id])).toHaveLength(0);
  });

  it('reports what it deleted, when it last ran and how long it took at /metrics', async () => {
    const s = await w.signIn();
    await t.revokeSession(w.slug, s.sid);
    await t.sql(`UPDATE sessions SET revoked_at = now() - interval '31 days' WHERE id = $1`, [
      s.sid,
    ]);
    const before = Math.floor(Date.now() / 1000);
    await job().runOnce();
    const text = (await t.get('/metrics')).text;
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(value('tessera_retention_rows_pruned_total\\{table="sessions"\\}')).toBeGreaterThan(0);
    expect(value('tessera_retention_last_run_timestamp_seconds')).toBeGreaterThanOrEqual(before);
    expect(value('tessera_retention_run_duration_seconds_count')).toBeGreaterThan(0);
  });

  describe('on two instances at once', () => {
    let twin: StartedTestServer;
    beforeAll(async () => {
      twin = await startTestServer(t.databaseUrl, { PUBLIC_URL: t.url });
    });
    afterAll(async () => {
      await twin?.server.stop();
    });

    it('deletes each row once, without an error, whichever instance gets to it', async () => {
      const ended: string[] = [];
      for (let i = 0; i < 6; i++) ended.push((await signedInAndRotated(1)).first.sid);
      const live = await signedInAndRotated(2);
      await t.sql(
        `UPDATE sessions SET absolute_expires_at = now() - interval '31 days' WHERE id = ANY($1::uuid[])`,
        [ended],
      );
      const jobs = [job(), twin.server.app.get(RetentionService)];
      const results = await Promise.all(Array.from({ length: 6 }, (_, i) => jobs[i % 2].runOnce()));
      // a call joining a run in progress on its instance gets that run's counts: count runs once
      const runs = [...new Set(results)];
      expect(runs.reduce((n, r) => n + (r.sessions ?? 0), 0)).toBe(6);
      expect(runs.reduce((n, r) => n + (r.refresh_tokens ?? 0), 0)).toBe(12);
      expect(
        await t.sql(`SELECT 1 FROM sessions WHERE id = ANY($1::uuid[])`, [ended]),
      ).toHaveLength(0);
      expect(await rowsOf(live.first.sid)).toMatchObject({ sessions: 1, tokens: 3, consumed: 2 });
    });
  });
});

describe('retention job, configured: half a day of history, audit kept forever', () => {
  const t = useTestServer({
    env: { TESSERA_RETENTION_SESSION_HISTORY_DAYS: '0.5', TESSERA_RETENTION_AUDIT_DAYS: '0' },
  });

  it('follows the configured windows', async () => {
    const w = await world(t);
    const { gone, kept } = await twoEnded(t, w, '13 hours', '11 hours');
    await t.sql(
      `UPDATE audit_events SET created_at = now() - interval '3000 days' WHERE tenant_id = $1`,
      [w.tenantId],
    );
    const audit = await t.sql(`SELECT id FROM audit_events WHERE tenant_id = $1 ORDER BY id`, [
      w.tenantId,
    ]);
    expect(audit.length).toBeGreaterThan(0);

    await t.server.app.get(RetentionService).runOnce();

    expect(
      await t.sql(`SELECT id FROM sessions WHERE id = ANY($1::uuid[])`, [[gone.sid, kept.sid]]),
    ).toEqual([{ id: kept.sid }]);
    expect(
      await t.sql(`SELECT id FROM audit_events WHERE tenant_id = $1 ORDER BY id`, [w.tenantId]),
    ).toEqual(audit);
  });
});
