import { isDeepStrictEqual } from 'node:util';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { claims, eventually, freePort, send } from '../support/harness';
import {
  describeOnServer,
  signInAll,
  sql,
  SLUG,
  useFaultServer,
  type FaultServer,
} from '../support/faults';

/**
 * A relying party's back-channel logout endpoint that can hold requests (read them, never answer)
 * or answer them 200. Records the `sid` of every logout token it was sent.
 */
class HoldingReceiver {
  readonly sids: string[] = [];
  holding = true;
  private server?: Server;
  private readonly held = new Set<ServerResponse>();
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/backchannel`;
  }

  async start(): Promise<void> {
    this.port = await freePort();
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const token = new URLSearchParams(body).get('logout_token');
        if (token) this.sids.push(claims(token).sid as string);
        if (this.holding) this.held.add(res);
        else res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', r));
  }

  async stop(): Promise<void> {
    for (const res of this.held) res.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

/** What a session revocation writes, in one transaction (SessionsService.revokeIn): one snapshot. */
async function revocationState(url: string, sid: string) {
  const [state] = await sql<{
    revoked: boolean;
    families: number;
    liveFamilies: number;
    events: number;
    outbox: number;
    audit: number;
  }>(
    url,
    `SELECT (SELECT revoked_at IS NOT NULL FROM sessions WHERE id = $1) AS revoked,
            (SELECT count(*)::int FROM refresh_token_families WHERE session_id = $1) AS families,
            (SELECT count(*)::int FROM refresh_token_families WHERE session_id = $1 AND revoked_at IS NULL) AS "liveFamilies",
            (SELECT count(*)::int FROM revocation_events WHERE sid = $1 AND type = 'session') AS events,
            (SELECT count(*)::int FROM backchannel_deliveries WHERE session_id = $1) AS outbox,
            (SELECT count(*)::int FROM audit_events WHERE session_id = $1 AND type = 'session_revoked') AS audit`,
    [sid],
  );
  return state;
}

const NOTHING = { revoked: false, liveFamilies: 1, events: 0, outbox: 0, audit: 0 };
const EVERYTHING = { revoked: true, liveFamilies: 0, events: 1, outbox: 1, audit: 1 };

async function revokeSession(w: FaultServer, sid: string) {
  return send(`${w.server.url}/admin/api/tenants/${SLUG}/sessions/${sid}`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${await w.server.adminToken()}` },
  });
}

/**
 * FT-18: a crash in the middle of a revocation. The session's revocation — session row, its
 * refresh-token families, the feed event, the back-channel outbox row, the audit entry — is one
 * transaction: the connection cut at its COMMIT leaves all of it or none of it, whichever side of
 * the COMMIT the cut fell. And a back-channel logout in flight when the server is SIGKILLed is sent
 * again after the restart, once its claim lapses (at least once). FT-02 (revocation/revoke-cut) covers
 * the cut before the COMMIT is sent for /revoke; FT-16 (revocation/feed-and-logout) a receiver that
 * is down across graceful restarts.
 */
describeOnServer('FT-18 a crash while a revocation commits or its logout is in flight', () => {
  const receiver = new HoldingReceiver();
  const options = {
    reuseGraceSeconds: 10,
    users: 3,
    throughProxy: true,
    env: { TESSERA_ALLOW_PRIVATE_URIS: '1' },
    backchannelLogoutUri: undefined as string | undefined,
  };
  // before useFaultServer's own beforeAll, which reads the options to write the bootstrap file
  beforeAll(async () => {
    await receiver.start();
    options.backchannelLogoutUri = receiver.url;
  });
  const w = useFaultServer(options);
  afterAll(() => receiver.stop());

  let users: Awaited<ReturnType<typeof signInAll>>;
  beforeAll(async () => {
    users = await signInAll(w.server, 3);
  });

  it.each([
    ['withheld', 0, NOTHING],
    ['sent', 1, EVERYTHING],
  ] as const)(
    'leaves all of a session revocation or none of it when the connection is cut at its COMMIT (%s)',
    async (commit, user, expected) => {
      const { sid } = users[user];
      expect(await revocationState(w.db.url, sid)).toMatchObject({ ...NOTHING, families: 1 });
      receiver.holding = false;

      // the revocation's last statement before COMMIT arms the cut on its connection
      const cut = w.proxy.cutAtCommit('INSERT INTO backchannel_deliveries', commit);
      const answer = await revokeSession(w, sid);
      await cut;
      // the server never heard the COMMIT's outcome: it cannot claim success
      expect(answer.status).toBe(503);
      expect(answer.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(answer.text).not.toMatch(/\bat \S+ \(|node_modules|stack/i);
      // the database ends the cut transaction on its own time (a COMMIT it read is still being
      // applied); every snapshot until then, and after, holds all of the revocation or none of it
      const halfDone: unknown[] = [];
      await eventually(async () => {
        const { families, ...state } = await revocationState(w.db.url, sid);
        expect(families).toBe(1);
        if (!isDeepStrictEqual(state, NOTHING) && !isDeepStrictEqual(state, EVERYTHING))
          halfDone.push(state);
        expect(state).toEqual(expected);
      }, 10_000);
      expect(halfDone).toEqual([]);

      // the administrator retries: the session ends, once
      expect((await revokeSession(w, sid)).status).toBe(204);
      expect(await revocationState(w.db.url, sid)).toMatchObject(EVERYTHING);
      await eventually(() => expect(receiver.sids).toContain(sid), 15_000);
    },
  );

  it('sends a back-channel logout again after a SIGKILL while it was in flight (at least once)', async () => {
    const { sid } = users[2];
    receiver.holding = true; // the relying party takes the request and does not answer yet
    expect((await revokeSession(w, sid)).status).toBe(204);
    await eventually(() => expect(receiver.sids).toContain(sid), 15_000);

    await w.server.kill('SIGKILL'); // the delivery is in flight
    const [row] = await sql<{ status: string; attempts: number }>(
      w.db.url,
      `SELECT status, attempts FROM backchannel_deliveries WHERE session_id = $1`,
      [sid],
    );
    expect(row).toEqual({ status: 'pending', attempts: 1 }); // claimed, never marked delivered

    receiver.holding = false;
    await w.server.restart();
    // the claim of the killed process lapses (30 s lease) and the new one sends it again
    await eventually(async () => {
      const [after] = await sql<{ status: string; attempts: number }>(
        w.db.url,
        `SELECT status, attempts FROM backchannel_deliveries WHERE session_id = $1`,
        [sid],
      );
      expect(after).toEqual({ status: 'delivered', attempts: 2 });
    }, 60_000);
    expect(receiver.sids.filter((s) => s === sid)).toHaveLength(2); // at least once: here twice
  }, 120_000);
});
