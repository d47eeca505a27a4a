import { Client } from 'pg';
import { eventually, send } from '../support/harness';
import {
  clientCredentials,
  describeOnServer,
  expectTemporarilyUnavailable,
  introspect,
  revoke,
  sql,
  SLUG,
  useFaultServer,
} from '../support/faults';

/**
 * FT-02: the connection to the database is cut in the middle of a revocation's transaction. The
 * answer must be 503, never 200 (RFC 7009 §2.2.1: the client must not believe a token is revoked
 * when it is not; fosite CVE-2020-15223), and nothing half-done may remain.
 */
describeOnServer('FT-02 the database connection cut during /revoke', () => {
  const w = useFaultServer({ reuseGraceSeconds: 10, users: 0, throughProxy: true });

  it('answers 503 + Retry-After, revokes nothing, and a retry once the database is back revokes', async () => {
    const token = (await clientCredentials(w.server)).body.access_token as string;
    expect((await introspect(w.server, token)).body.active).toBe(true);
    const [{ id: tenantId }] = await sql<{ id: string }>(
      w.db.url,
      `SELECT id FROM tenants WHERE slug = $1`,
      [SLUG],
    );

    // hold the tenant's revocation lock, so the revocation stops inside its transaction
    const holder = new Client({ connectionString: w.db.url });
    await holder.connect();
    try {
      await holder.query(`SELECT pg_advisory_lock(hashtext('revocations:' || $1))`, [tenantId]);
      const pending = revoke(w.server, token);
      await eventually(async () => {
        const waiting = await holder.query(
          `SELECT 1 FROM pg_locks l JOIN pg_database d ON d.oid = l.database
            WHERE d.datname = current_database() AND l.locktype = 'advisory' AND NOT l.granted`,
        );
        expect(waiting.rowCount).toBeGreaterThan(0);
      }, 10_000);

      await w.proxy.cut(); // mid-transaction: BEGIN sent, the insert waiting, COMMIT never sent
      const answer = await pending;
      expectTemporarilyUnavailable(answer);
      await holder.query(`SELECT pg_advisory_unlock(hashtext('revocations:' || $1))`, [tenantId]);
    } finally {
      await holder.end();
    }

    await w.proxy.restore();
    await eventually(async () => {
      expect((await send(`${w.server.url}/readyz`)).status).toBe(200);
    }, 30_000);
    // the cut transaction left nothing: the token is still active and no event was written
    await eventually(async () => {
      const rows = await sql(
        w.db.url,
        `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`,
      );
      expect(rows).toEqual([]);
    }, 10_000);
    expect((await introspect(w.server, token)).body.active).toBe(true);
    expect(
      await sql(w.db.url, `SELECT 1 FROM revocation_events WHERE tenant_id = $1`, [tenantId]),
    ).toEqual([]);

    // the client retries, as RFC 7009 §2.2.1 expects of it
    expect((await revoke(w.server, token)).status).toBe(200);
    expect((await introspect(w.server, token)).body).toEqual({ active: false });
  });
});
