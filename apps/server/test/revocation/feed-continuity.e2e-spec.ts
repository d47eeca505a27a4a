import { subscribeFeed, type FeedSubscription } from '../support/feed';
import { claims, eventually } from '../support/harness';
import {
  APP,
  clientCredentials,
  describeOnServer,
  revoke,
  sql,
  useFaultServer,
} from '../support/faults';

const MISSED = 100;

/** The backend holding the server's LISTEN (the notify bus's own connection), if any. */
async function listener(url: string): Promise<number | undefined> {
  const rows = await sql<{ pid: number }>(
    url,
    `SELECT pid FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'LISTEN %'`,
  );
  expect(rows.length).toBeLessThanOrEqual(1);
  return rows[0]?.pid;
}

/**
 * FT-15: a revocation-feed subscriber (SSE) away while 100 revocations happen, then the server
 * restarted, then its LISTEN connection killed in the database. Through all three, every event
 * reaches the subscriber exactly once under one id (cursor catch-up with Last-Event-ID), and the
 * server listens again by itself. The guard side (a feed-following guard that loses the feed fails
 * closed after its staleness bound) is in issuer-outage.e2e-spec.ts; revocation/feed-and-logout
 * has the single-event resume and the cross-instance delivery.
 */
describeOnServer(
  'FT-15 the revocation feed across a disconnect, a restart and a lost LISTEN',
  () => {
    const w = useFaultServer({ reuseGraceSeconds: 10, users: 0 });
    const feedUrl = () => `${w.server.issuer('faults')}/revocations`;
    // every event the subscriber was sent, across all its connections, in order
    const received: Array<{ id: string; jti: string }> = [];
    const keep = (s: FeedSubscription, from: number) =>
      s.events.slice(from).map((e) => ({ id: e.id, jti: e.data.jti as string }));

    /** Revokes one fresh access token (RFC 7009); its jti is what the event must carry. */
    async function revokeOne(): Promise<string> {
      const token = (await clientCredentials(w.server)).body.access_token as string;
      expect((await revoke(w.server, token)).status).toBe(200);
      return claims(token).jti as string;
    }

    async function expectExactly(s: FeedSubscription, jtis: string[]): Promise<void> {
      await eventually(() => expect(s.events.length).toBeGreaterThanOrEqual(jtis.length), 15_000);
      expect(s.events.map((e) => e.data.jti)).toEqual(jtis); // in commit order, nothing else
    }

    afterAll(() => {
      // nothing duplicated as different: one id per revocation, ids strictly increasing
      const ids = received.map((e) => BigInt(e.id));
      expect(ids.every((id, i) => i === 0 || id > ids[i - 1])).toBe(true);
      expect(new Set(received.map((e) => e.jti)).size).toBe(received.length);
    });

    it('catches up on 100 revocations missed while disconnected, with Last-Event-ID, exactly once', async () => {
      const live = await subscribeFeed(feedUrl(), APP);
      expect(live.status).toBe(200);
      const first = await revokeOne();
      await expectExactly(live, [first]);
      received.push(...keep(live, 0));
      live.close();

      const missed: string[] = [];
      for (let i = 0; i < MISSED; i++) missed.push(await revokeOne());

      const resumed = await subscribeFeed(feedUrl(), APP, received[received.length - 1].id);
      await expectExactly(resumed, missed);
      received.push(...keep(resumed, 0));
      // and it stays live after the catch-up
      const next = await revokeOne();
      await expectExactly(resumed, [...missed, next]);
      received.push(...keep(resumed, MISSED));
      resumed.close();
    });

    it('resumes after a server restart from the last event it had, and loses nothing written meanwhile', async () => {
      const live = await subscribeFeed(feedUrl(), APP, received[received.length - 1].id);
      const before = await revokeOne();
      await expectExactly(live, [before]);
      received.push(...keep(live, 0));

      await w.server.restart(); // SIGKILL, then the same port and database
      const whileAway = [await revokeOne(), await revokeOne()];

      const resumed = await subscribeFeed(feedUrl(), APP, received[received.length - 1].id);
      await expectExactly(resumed, whileAway);
      received.push(...keep(resumed, 0));
      live.close();
      resumed.close();
    });

    it('listens again by itself when its LISTEN connection is killed, and live events keep coming', async () => {
      const live = await subscribeFeed(feedUrl(), APP, received[received.length - 1].id);
      const pid = await listener(w.db.url);
      expect(pid).toBeDefined();

      const [{ terminated }] = await sql<{ terminated: boolean }>(
        w.db.url,
        `SELECT pg_terminate_backend($1) AS terminated`,
        [pid],
      );
      expect(terminated).toBe(true);
      // a new LISTEN connection, not the killed one
      await eventually(async () => {
        const again = await listener(w.db.url);
        expect(again).toBeDefined();
        expect(again).not.toBe(pid);
      }, 15_000);

      // revocations committed after the kill reach the open stream, once each
      const after: string[] = [];
      for (let i = 0; i < 5; i++) after.push(await revokeOne());
      await expectExactly(live, after);
      received.push(...keep(live, 0));
      live.close();
      expect(w.server.output).not.toMatch(/unhandled error|"level":50/);
    });
  },
);
