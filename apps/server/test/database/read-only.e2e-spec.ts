import { Client } from 'pg';
import { eventually, send, useTestServer } from '../support/harness';
import { world, type World } from '../support/world';
import { describeOnServer, expectTemporarilyUnavailable } from '../support/faults';

/**
 * FT-09: the database turns read-only (a failover to a standby, a maintenance switch). Writes are
 * answered 503 + Retry-After, never 500; what only reads keeps working; nothing is half-written;
 * and the server serves writes again by itself once the database accepts them.
 */
describeOnServer('FT-09 read-only database', () => {
  const t = useTestServer();
  let w: World;
  let admin: Client;
  let database: string;

  /** Sets the switch for new sessions and ends the server's current ones, so the pool reconnects. */
  const readOnly = async (on: boolean) => {
    await admin.query(
      `ALTER DATABASE "${database}" SET default_transaction_read_only = ${on ? 'on' : 'off'}`,
    );
    await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = $1 AND pid <> pg_backend_pid()`,
      [database],
    );
  };

  beforeAll(async () => {
    w = await world(t);
    const url = new URL(t.databaseUrl);
    database = url.pathname.slice(1);
    url.pathname = '/postgres';
    admin = new Client({ connectionString: url.toString() });
    await admin.connect();
  });
  afterAll(async () => {
    if (admin) await readOnly(false).catch(() => undefined);
    await admin?.end();
  });

  it('answers writes 503 + Retry-After, keeps reads working, loses nothing, and recovers by itself', async () => {
    const signedIn = await w.signIn();
    const cc = (await w.cc()).body.access_token as string;
    expect(cc).toEqual(expect.any(String));

    await readOnly(true);
    // the first requests after the cut may meet a terminated connection: also 503, never 500
    const refresh = await w.refresh(signedIn.refresh_token);
    expectTemporarilyUnavailable(refresh);
    const revoke = await w.revoke(signedIn.access_token);
    expect(revoke.status).toBe(503); // RFC 7009 §2.2.1: never 200 for a revocation that did not happen
    expectTemporarilyUnavailable(revoke);

    // reads: discovery, JWKS, introspection of a live token
    expect((await send(`${w.issuer}/.well-known/openid-configuration`)).status).toBe(200);
    const jwks = await send(`${w.issuer}/jwks.json`);
    expect(jwks.status).toBe(200);
    expect(jwks.body.keys.length).toBeGreaterThan(0);
    const live = await w.introspect(signedIn.access_token);
    expect(live.status).toBe(200);
    expect(live.body.active).toBe(true);

    // nothing was half-written: the refresh token is unused and still the family's live one
    await readOnly(false);
    // connections the pool opened while read-only are dropped with the switch; until the pool has
    // noticed, a write may meet one and be answered 503 again (consuming nothing), never 500
    let again = await w.refresh(signedIn.refresh_token);
    await eventually(async () => {
      if (again.status !== 200) {
        expectTemporarilyUnavailable(again);
        again = await w.refresh(signedIn.refresh_token);
      }
      expect(again.status).toBe(200);
    }, 15_000);
    expect(again.body.refresh_token).toEqual(expect.any(String));
    expect((await w.revoke(again.body.access_token)).status).toBe(200);
    expect((await w.introspect(again.body.access_token)).body.active).toBe(false);
  });
});
