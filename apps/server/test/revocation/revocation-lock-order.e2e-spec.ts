import { Client } from 'pg';
import { eventually, type Reply } from '../support/harness';
import {
  describeOnServer,
  introspect,
  refresh,
  revoke,
  signInAll,
  sql,
  SLUG,
  useFaultServer,
} from '../support/faults';

/**
 * Every revocation event of a tenant is written under the tenant's revocation lock (an advisory
 * lock, held to commit). A transaction that locked a family's row and then waited for it deadlocked
 * against one that held it and then wanted that row: PostgreSQL killed one of them (40P01) and the
 * request answered 500. The order is now one: the tenant's revocation lock first, then rows.
 *
 * The test's own transaction plays the other side, as a revocation of several sessions or families
 * does (sign-out-everywhere, a disabled application): it holds the lock, then asks for the row.
 */
describeOnServer('revocations take the tenant revocation lock before any row', () => {
  const w = useFaultServer({ reuseGraceSeconds: 0, users: 2 });

  const cases: Array<{
    name: string;
    /** Starts the request under test for user `i`'s sign-in; returns its answer when it settles. */
    start: (s: { refreshToken: string; accessToken: string }) => Promise<Reply>;
    status: number;
  }> = [
    {
      name: 'RFC 7009 revocation of a refresh token (its family)',
      start: (s) => revoke(w.server, s.refreshToken),
      status: 200,
    },
    {
      name: 'reuse detection of a replayed refresh token (its session)',
      start: async (s) => {
        expect((await refresh(w.server, s.refreshToken)).status).toBe(200); // now it is used
        return refresh(w.server, s.refreshToken); // replayed: theft assumed, the session ends
      },
      status: 400,
    },
  ];

  it.each(cases.map((c, i) => [c.name, c, i] as const))(
    '%s: waits for the lock holding no row, never deadlocks, and revokes',
    async (_name, c, i) => {
      const [{ id: tenantId }] = await sql<{ id: string }>(
        w.db.url,
        `SELECT id FROM tenants WHERE slug = $1`,
        [SLUG],
      );
      const s = (await signInAll(w.server, 2))[i];
      const [{ id: familyId }] = await sql<{ id: string }>(
        w.db.url,
        `SELECT id FROM refresh_token_families WHERE session_id = $1`,
        [s.sid],
      );

      const holder = new Client({ connectionString: w.db.url });
      await holder.connect();
      let rowWasFree: boolean;
      let answer: Reply;
      try {
        await holder.query('BEGIN');
        // the server's side checks for the deadlock first (after its 1 s), so it is the one killed
        await holder.query(`SET LOCAL deadlock_timeout = '10s'`);
        await holder.query(`SELECT pg_advisory_xact_lock(hashtext('revocations:' || $1))`, [
          tenantId,
        ]);
        const pending = c.start(s);
        // the request waits for the tenant's revocation lock
        await eventually(async () => {
          const waiting = await sql(
            w.db.url,
            `SELECT 1 FROM pg_locks l JOIN pg_database d ON d.oid = l.database
              WHERE d.datname = current_database() AND l.locktype = 'advisory' AND NOT l.granted`,
          );
          expect(waiting.length).toBeGreaterThan(0);
        }, 10_000);
        // the invariant: while it waits, it holds no lock on the family's row
        await holder.query('SAVEPOINT probe');
        try {
          await holder.query(
            `SELECT 1 FROM refresh_token_families WHERE id = $1 FOR UPDATE NOWAIT`,
            [familyId],
          );
          rowWasFree = true;
        } catch {
          rowWasFree = false;
          await holder.query('ROLLBACK TO SAVEPOINT probe');
          // the other order: wait for the row as a revocation of several families does; PostgreSQL
          // finds the cycle and kills one side
          await holder.query(`SELECT 1 FROM refresh_token_families WHERE id = $1 FOR UPDATE`, [
            familyId,
          ]);
        }
        await holder.query('COMMIT');
        answer = await pending;
      } finally {
        await holder.end();
      }

      expect({ rowWasFree, status: answer.status }).toEqual({ rowWasFree: true, status: c.status });
      // the revocation happened: the family is ended, its access token dead
      const [family] = await sql<{ revoked: boolean }>(
        w.db.url,
        `SELECT revoked_at IS NOT NULL AS revoked FROM refresh_token_families WHERE id = $1`,
        [familyId],
      );
      expect(family.revoked).toBe(true);
      expect((await introspect(w.server, s.accessToken)).body).toEqual({ active: false });
    },
  );
});
