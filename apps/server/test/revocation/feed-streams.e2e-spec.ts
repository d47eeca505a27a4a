import { request, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { subscribeFeed, type FeedSubscription } from '../support/feed';
import {
  basic,
  claims,
  eventually,
  send,
  useTestServer,
  type TestServer,
} from '../support/harness';
import { sample } from '../support/metrics';
import { world, type Credentials, type World } from '../support/world';

const feedUrl = (w: World) => `${w.issuer}/revocations`;

async function scrape(t: TestServer): Promise<string> {
  return (await t.get('/metrics')).text;
}

/** Revokes a fresh access token (RFC 7009); its jti is what the event carries. */
async function revokeOne(w: World): Promise<string> {
  const token = (await w.cc()).body.access_token as string;
  expect((await w.revoke(token)).status).toBe(200);
  return claims(token).jti as string;
}

/** Every event of the tenant, by cursor (the JSON form of the feed). */
async function allEvents(w: World): Promise<Array<{ id: string; jti?: string }>> {
  const events: Array<{ id: string; jti?: string }> = [];
  let cursor = '0';
  for (;;) {
    const page = await send(`${feedUrl(w)}?after=${cursor}`, {
      headers: { authorization: basic(w.web.clientId, w.web.secret) },
    });
    expect(page.status).toBe(200);
    events.push(...page.body.events);
    if (page.body.cursor === cursor) return events;
    cursor = page.body.cursor;
  }
}

describe('revocation feed streams are capped per caller and per instance', () => {
  const t = useTestServer({
    env: { TESSERA_FEED_STREAMS_PER_CLIENT: '3', TESSERA_FEED_STREAMS_PER_INSTANCE: '5' },
  });
  const open: FeedSubscription[] = [];
  afterAll(() => open.forEach((s) => s.close()));
  const subscribe = async (w: World, as: Credentials) => {
    const s = await subscribeFeed(feedUrl(w), as);
    open.push(s);
    return s;
  };

  /** One try at opening a stream: a stream that opens is closed at once, a refusal is read. */
  const attempt = async (w: World, as: Credentials) => {
    const ctrl = new AbortController();
    const res = await fetch(feedUrl(w), {
      headers: { accept: 'text/event-stream', authorization: basic(as.clientId, as.secret) },
      signal: ctrl.signal,
    });
    if (res.status === 200) {
      ctrl.abort();
      return { status: 200 };
    }
    return {
      status: res.status,
      retryAfter: res.headers.get('retry-after'),
      body: await res.json(),
    };
  };

  it('answers 429 with Retry-After beyond the caps, and serves again once a stream ends', async () => {
    const w = await world(t);
    const first = [];
    for (let i = 0; i < 3; i++) first.push(await subscribe(w, w.web));
    expect(first.map((s) => s.status)).toEqual([200, 200, 200]);
    const refused = await attempt(w, w.web);
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({
      error: 'temporarily_unavailable',
      error_description: expect.any(String),
    });
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    // the cursor form is not a stream: a capped caller can still poll
    expect(
      (
        await send(`${feedUrl(w)}?after=0`, {
          headers: { authorization: basic(w.web.clientId, w.web.secret) },
        })
      ).status,
    ).toBe(200);

    // another caller has its own three, until the instance holds five
    const other = [await subscribe(w, w.second), await subscribe(w, w.second)];
    expect(other.map((s) => s.status)).toEqual([200, 200]);
    expect((await attempt(w, w.rsCreds)).status).toBe(429);
    expect(sample(await scrape(t), 'tessera_revocation_feed_subscribers')).toBe(5);

    // the open streams still work
    const jti = await revokeOne(w);
    for (const s of [...first, ...other])
      await eventually(() => expect(s.events.map((e) => e.data.jti)).toContain(jti));

    first[0].close();
    await eventually(async () => expect((await subscribe(w, w.rsCreds)).status).toBe(200));
  });

  it('holds no slot for a client that left while it was being authenticated', async () => {
    open.splice(0).forEach((s) => s.close());
    await eventually(async () =>
      expect(sample(await scrape(t), 'tessera_revocation_feed_subscribers')).toBe(0),
    );
    const w = await world(t);
    const { port } = new URL(t.url);
    const path = new URL(feedUrl(w)).pathname;
    for (let i = 0; i < 5; i++) {
      // the request, and at once the end of the connection
      const socket = connect(Number(port), '127.0.0.1');
      socket.on('error', () => undefined);
      socket.end(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n` +
          `Authorization: ${basic(w.web.clientId, w.web.secret)}\r\n\r\n`,
      );
      // the server ends the connection; where it has begun to answer first (the half-closed
      // connection raced the authentication), the client goes away entirely
      const closed = new Promise((resolve) => socket.on('close', resolve));
      const answered = await Promise.race([
        closed.then(() => true),
        new Promise((r) => setTimeout(() => r(false), 3000)),
      ]);
      if (!answered) socket.destroy();
      await closed;
    }
    // every slot the five held comes back: three streams open, within the cap of three
    await eventually(
      async () => expect(sample(await scrape(t), 'tessera_revocation_feed_subscribers')).toBe(0),
      20_000,
    );
    const streams = [];
    for (let i = 0; i < 3; i++) streams.push(await subscribe(w, w.web));
    expect(streams.map((s) => s.status)).toEqual([200, 200, 200]);
  });
});

describe('revocation feed streams share their tenant’s database reads', () => {
  const t = useTestServer();
  let w: World;
  beforeAll(async () => {
    w = await world(t);
  });

  it('reads once per revocation for all the live streams of a tenant', async () => {
    const streams: FeedSubscription[] = [];
    try {
      for (let i = 0; i < 20; i++)
        streams.push(await subscribeFeed(feedUrl(w), i % 2 ? w.web : w.rsCreds));
      await eventually(async () =>
        expect(sample(await scrape(t), 'tessera_revocation_feed_streams{state="live"}')).toBe(20),
      );
      const before = await scrape(t);
      const jti = await revokeOne(w);
      for (const s of streams)
        await eventually(() => expect(s.events.map((e) => e.data.jti)).toContain(jti));
      const after = await scrape(t);
      const reads = (kind: string) =>
        sample(after, `tessera_revocation_feed_reads_total{kind="${kind}"}`) -
        sample(before, `tessera_revocation_feed_reads_total{kind="${kind}"}`);
      // one read for the notification, whatever the number of streams (one more if the 5 s poll
      // fell in between, or if the notification was heard twice); not one per stream
      expect(reads('shared')).toBeGreaterThanOrEqual(1);
      expect(reads('shared')).toBeLessThanOrEqual(3);
      expect(reads('catch_up')).toBe(0);
    } finally {
      streams.forEach((s) => s.close());
    }
  });

  it('gives every stream every event once, in order, when streams join while revocations happen', async () => {
    const streams: FeedSubscription[] = [];
    const jtis: string[] = [];
    try {
      const burst = (async () => {
        for (let i = 0; i < 40; i++) jtis.push(await revokeOne(w));
      })();
      for (let i = 0; i < 6; i++) streams.push(await subscribeFeed(feedUrl(w), w.second));
      await burst;
      const all = (await allEvents(w)).map((e) => e.id);
      expect(all.length).toBeGreaterThanOrEqual(40);
      for (const s of streams)
        await eventually(() => expect(s.events.map((e) => e.id)).toEqual(all), 10_000);
    } finally {
      streams.forEach((s) => s.close());
    }
  });
});

/** A stream read by hand: nothing is taken from the socket until `read()`. */
function openPaused(url: string, as: Credentials): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      headers: { accept: 'text/event-stream', authorization: basic(as.clientId, as.secret) },
    });
    req.on('response', (res) => {
      res.pause(); // the client reads nothing: its socket fills, then the server's
      resolve(res);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('a revocation feed stream whose client does not read', () => {
  const t = useTestServer();

  it('is written no further than its socket takes, and resumes without loss when the client reads', async () => {
    const w = await world(t);
    // a backlog far larger than what the kernel buffers of one connection hold (a few MB)
    const backlog = 200_000;
    // the test's own set-up through the server's pool: on the embedded database (one connection)
    // the pool may shed it behind the workers' polls after the long insert; it is no request, so
    // it waits its turn instead (a shed statement never started: nothing to undo)
    const setUp = async (text: string, params?: unknown[]) => {
      for (let tries = 0; ; tries++) {
        try {
          return await t.sql(text, params);
        } catch (err) {
          const e = err as { code?: string; driverError?: { code?: string } };
          if ((e.code ?? e.driverError?.code) !== 'EPOOLFULL' || tries >= 100) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    };
    await setUp(
      `INSERT INTO revocation_events (tenant_id, type, jti, client_id, reason, expires_at)
       SELECT $1, 'access_token', gen_random_uuid()::text, $2, 'revoked', now() + interval '1 hour'
       FROM generate_series(1, $3)`,
      [w.tenantId, w.web.clientId, backlog],
    );
    await setUp(`ANALYZE revocation_events`); // as autovacuum would after such a load
    const before = await scrape(t);
    const res = await openPaused(feedUrl(w), w.web);
    expect(res.statusCode).toBe(200);
    await eventually(async () =>
      expect(sample(await scrape(t), 'tessera_revocation_feed_streams{state="waiting"}')).toBe(1),
    );
    const paused = await scrape(t);
    const written =
      sample(paused, 'tessera_revocation_feed_lag_seconds_count') -
      sample(before, 'tessera_revocation_feed_lag_seconds_count');
    // the server stopped reading the backlog for it: it holds at most a page beyond the sockets
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThan(backlog / 2);

    // the client reads again: it gets the whole backlog, in order, once, and follows live
    const ids: bigint[] = [];
    let buffer = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      let i;
      while ((i = buffer.indexOf('\n\n')) >= 0) {
        const id = /^id: (\d+)$/m.exec(buffer.slice(0, i))?.[1];
        buffer = buffer.slice(i + 2);
        if (id) ids.push(BigInt(id));
      }
    });
    res.resume();
    await eventually(() => expect(ids.length).toBe(backlog), 60_000);
    expect(ids.every((id, i) => i === 0 || id > ids[i - 1])).toBe(true);
    const jti = await revokeOne(w);
    const next = await send(`${feedUrl(w)}?after=${ids[backlog - 1]}`, {
      headers: { authorization: basic(w.web.clientId, w.web.secret) },
    });
    expect(next.body.events).toEqual([expect.objectContaining({ jti })]);
    await eventually(() => expect(ids.at(-1)).toBe(BigInt(next.body.events[0].id)));
    expect(ids).toHaveLength(backlog + 1);
    expect(sample(await scrape(t), 'tessera_revocation_feed_streams{state="waiting"}')).toBe(0);
    res.destroy();
  });
});
