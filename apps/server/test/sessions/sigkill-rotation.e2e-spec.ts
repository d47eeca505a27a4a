import { eventually } from '../support/harness';
import type { ServerProcess } from '../support/processes';
import {
  describeOnServer,
  killedSessionsGone,
  refresh,
  rotationViolations,
  signInAll,
  sql,
  useFaultServer,
} from '../support/faults';

const CLIENTS = 8;
const MIN_KILLS = 2;
const MAX_KILLS = 6;

/**
 * The clients rotate their refresh tokens in a loop (each pushes what it receives onto its
 * history) until the server process is SIGKILLed under them, somewhere different each time.
 */
async function rotateUntilKilled(
  server: ServerProcess,
  databaseUrl: string,
  history: string[][],
  clients: number[],
  round: number,
): Promise<void> {
  let rotations = 0;
  let killed = false;
  const loops = clients.map(async (i) => {
    while (!killed) {
      try {
        const r = await refresh(server, history[i][history[i].length - 1]);
        if (r.status !== 200) throw new Error(`client ${i}: ${r.status} ${r.text}`);
        history[i].push(r.body.refresh_token);
        rotations++;
      } catch (err) {
        if (killed) return; // the response was lost with the process
        throw err;
      }
    }
  });
  const target = 20 + round * 7;
  await eventually(() => expect(rotations).toBeGreaterThanOrEqual(target), 30_000);
  killed = true;
  await server.kill('SIGKILL');
  await Promise.all(loops);
  // a rotation sent just before the kill may still commit: what the database holds is read after
  await killedSessionsGone(databaseUrl);
}

/** How many generations the database is ahead of what each client holds (0, or 1 when a response was lost). */
async function ahead(url: string, sids: string[], history: string[][]): Promise<number[]> {
  const generations = await sql<{ sid: string; g: number }>(
    url,
    `SELECT f.session_id AS sid, max(r.generation)::int AS g
     FROM refresh_tokens r JOIN refresh_token_families f ON f.id = r.family_id
     GROUP BY f.session_id`,
  );
  return sids.map((sid, i) => generations.find((x) => x.sid === sid)!.g - (history[i].length - 1));
}

describeOnServer('FT-04 SIGKILL in the middle of refresh rotations (grace 300 s)', () => {
  const w = useFaultServer({ reuseGraceSeconds: 300, users: CLIENTS });

  it('never both (no fork, no two live tokens) and never neither (the last token held recovers); rotated tokens stay refused', async () => {
    const clients = await signInAll(w.server, CLIENTS);
    // every token each client has held, oldest first; the last one is what it holds now
    const history = clients.map((c) => [c.refreshToken]);
    const held = (i: number) => history[i][history[i].length - 1];
    let lostResponses = 0;
    let kills = 0;

    while (kills < MIN_KILLS || (lostResponses === 0 && kills < MAX_KILLS)) {
      await rotateUntilKilled(
        w.server,
        w.db.url,
        history,
        history.map((_, i) => i),
        kills,
      );
      kills++;

      // a committed rotation whose response never came: the database is one generation ahead of
      // what the client holds (never more)
      for (const n of await ahead(
        w.db.url,
        clients.map((c) => c.sid),
        history,
      )) {
        expect([0, 1]).toContain(n);
        lostResponses += n;
      }

      expect(await rotationViolations(w.db.url)).toEqual({
        halfWritten: [],
        twoSuccessors: [],
        twoLive: [],
      });

      await w.server.restart();

      // never neither: each client recovers with the token it last held
      for (let i = 0; i < CLIENTS; i++) {
        const r = await refresh(w.server, held(i));
        expect({ client: i, status: r.status }).toEqual({ client: i, status: 200 });
        history[i].push(r.body.refresh_token);
      }
      // a replay within the grace answered the successor already committed: no branch
      expect(
        await ahead(
          w.db.url,
          clients.map((c) => c.sid),
          history,
        ),
      ).toEqual(clients.map(() => 0));
      expect(await rotationViolations(w.db.url)).toEqual({
        halfWritten: [],
        twoSuccessors: [],
        twoLive: [],
      });
    }
    // the scenario the grace exists for happened at least once
    expect(lostResponses).toBeGreaterThan(0);

    // every family is alive, each with exactly one live token
    const families = await sql(
      w.db.url,
      `SELECT f.id, f.revoked_at,
              (SELECT count(*)::int FROM refresh_tokens r WHERE r.family_id = f.id AND r.used_at IS NULL) AS live
       FROM refresh_token_families f JOIN sessions s ON s.id = f.session_id`,
    );
    expect(families).toHaveLength(CLIENTS);
    for (const f of families)
      expect({ revoked: f.revoked_at, live: f.live }).toEqual({ revoked: null, live: 1 });

    // rotated tokens stay refused after the restarts (older than the grace's immediate predecessor)
    for (let i = 0; i < CLIENTS; i++) {
      const old = history[i][history[i].length - 3];
      const r = await refresh(w.server, old);
      expect({ status: r.status, body: r.body }).toEqual({
        status: 400,
        body: { error: 'invalid_grant', error_description: 'The grant is invalid or expired' },
      });
      // and the replay is treated as theft: the newest token dies with the session
      expect((await refresh(w.server, held(i))).status).toBe(400);
    }
  });
});

describeOnServer('FT-04 SIGKILL in the middle of refresh rotations (grace 0)', () => {
  const w = useFaultServer({ reuseGraceSeconds: 0, users: CLIENTS });

  it('never both; a rotation committed but never answered ends in a clean revocation of the session', async () => {
    const clients = await signInAll(w.server, CLIENTS);
    const history = clients.map((c) => [c.refreshToken]);
    let alive = clients.map((_, i) => i);
    let lostResponses = 0;
    let kills = 0;

    while (alive.length > 0 && kills < MAX_KILLS && (kills < MIN_KILLS || lostResponses === 0)) {
      await rotateUntilKilled(w.server, w.db.url, history, alive, kills);
      kills++;
      const gaps = await ahead(
        w.db.url,
        clients.map((c) => c.sid),
        history,
      );
      expect(await rotationViolations(w.db.url)).toEqual({
        halfWritten: [],
        twoSuccessors: [],
        twoLive: [],
      });
      await w.server.restart();

      for (const i of alive) {
        expect([0, 1]).toContain(gaps[i]);
        const r = await refresh(w.server, history[i][history[i].length - 1]);
        if (gaps[i] === 0) {
          expect({ client: i, status: r.status }).toEqual({ client: i, status: 200 });
          history[i].push(r.body.refresh_token);
          continue;
        }
        // the token it holds was used: without a grace that is reuse, and the whole session ends
        lostResponses++;
        expect({ client: i, status: r.status, error: r.body.error }).toEqual({
          client: i,
          status: 400,
          error: 'invalid_grant',
        });
        const [state] = await sql(
          w.db.url,
          `SELECT s.revocation_reason AS session, f.revoked_at IS NOT NULL AS family_revoked
           FROM sessions s JOIN refresh_token_families f ON f.session_id = s.id WHERE s.id = $1`,
          [clients[i].sid],
        );
        expect(state).toEqual({ session: 'reuse_detected', family_revoked: true });
      }
      alive = alive.filter((i) => gaps[i] === 0);
      expect(await rotationViolations(w.db.url)).toEqual({
        halfWritten: [],
        twoSuccessors: [],
        twoLive: [],
      });
    }
    expect(lostResponses).toBeGreaterThan(0);
  });
});
