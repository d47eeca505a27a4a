import { createTestDatabase, type TestDatabase } from '../../../../test-setup/test-database';
import { eventually } from '../support/harness';
import { ServerProcess } from '../support/processes';
import {
  bootstrap,
  describeOnServer,
  refresh,
  rotationViolations,
  signInAll,
  sql,
} from './fixture';

const CLIENTS = 8;
const MIN_KILLS = 3;
const MAX_KILLS = 8;

describeOnServer('FT-04 SIGKILL in the middle of refresh rotations (grace 300 s)', () => {
  let db: TestDatabase;
  let server: ServerProcess;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await ServerProcess.start({
      databaseUrl: db.url,
      bootstrap: bootstrap({ reuseGraceSeconds: 300, users: CLIENTS }),
    });
  });
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  it('never both (no fork, no two live tokens) and never neither (the last token held recovers); rotated tokens stay refused', async () => {
    const clients = await signInAll(server, CLIENTS);
    // every token each client has held, oldest first; the last one is what it holds now
    const history = clients.map((c) => [c.refreshToken]);
    const held = (i: number) => history[i][history[i].length - 1];
    let lostResponses = 0;
    let kills = 0;

    while (kills < MIN_KILLS || (lostResponses === 0 && kills < MAX_KILLS)) {
      // several clients rotate in a loop until the process dies under them
      let rotations = 0;
      let killed = false;
      const loops = history.map(async (_, i) => {
        while (!killed) {
          try {
            const r = await refresh(server, held(i));
            if (r.status !== 200) throw new Error(`client ${i}: ${r.status} ${r.text}`);
            history[i].push(r.body.refresh_token);
            rotations++;
          } catch (err) {
            if (killed) return; // the response was lost with the process
            throw err;
          }
        }
      });
      const target = rotations + 20 + kills * 7; // somewhere different each time
      await eventually(() => expect(rotations).toBeGreaterThanOrEqual(target), 30_000);
      killed = true;
      await server.kill('SIGKILL');
      kills++;
      await Promise.all(loops);

      // a committed rotation whose response never came: the database is one generation ahead of
      // what the client holds (never more)
      const generations = await sql<{ sid: string; g: number }>(
        db.url,
        `SELECT f.session_id AS sid, max(r.generation)::int AS g
         FROM refresh_tokens r JOIN refresh_token_families f ON f.id = r.family_id
         GROUP BY f.session_id`,
      );
      for (let i = 0; i < CLIENTS; i++) {
        const ahead =
          generations.find((x) => x.sid === clients[i].sid)!.g - (history[i].length - 1);
        expect([0, 1]).toContain(ahead);
        lostResponses += ahead;
      }

      expect(await rotationViolations(db.url)).toEqual({
        halfWritten: [],
        twoSuccessors: [],
        twoLive: [],
      });

      await server.restart();

      // never neither: each client recovers with the token it last held
      for (let i = 0; i < CLIENTS; i++) {
        const r = await refresh(server, held(i));
        expect({ client: i, status: r.status }).toEqual({ client: i, status: 200 });
        history[i].push(r.body.refresh_token);
      }
      expect(await rotationViolations(db.url)).toEqual({
        halfWritten: [],
        twoSuccessors: [],
        twoLive: [],
      });
    }
    // the scenario the grace exists for happened at least once
    expect(lostResponses).toBeGreaterThan(0);

    // every family is alive, each with exactly one live token
    const families = await sql(
      db.url,
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
      const r = await refresh(server, old);
      expect({ status: r.status, body: r.body }).toEqual({
        status: 400,
        body: { error: 'invalid_grant', error_description: 'The grant is invalid or expired' },
      });
      // and the replay is treated as theft: the newest token dies with the session
      expect((await refresh(server, held(i))).status).toBe(400);
    }
  });
});
