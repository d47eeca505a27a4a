import { eventually, send, type Reply } from '../support/harness';
import { sample } from '../support/metrics';
import {
  clientCredentials,
  describeOnServer,
  expectTemporarilyUnavailable,
  introspect,
  refresh,
  revoke,
  rotationViolations,
  signInAll,
  useFaultServer,
} from '../support/faults';

const CLIENTS = 4;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeOnServer(`FT-01 PostgreSQL goes away under load`, () => {
  const w = useFaultServer({ reuseGraceSeconds: 300, users: CLIENTS, throughProxy: true });

  it('answers 503 + Retry-After (never a 500 or a stack), writes no half rotation, and recovers without a restart', async () => {
    const clients = await signInAll(w.server, CLIENTS);
    const ccToken = (await clientCredentials(w.server)).body.access_token as string;
    const pid = w.server.pid;

    type Seen = { kind: string; phase: string; reply?: Reply; error?: string };
    const seen: Seen[] = [];
    let phase = 'before';
    let running = true;
    const held = clients.map((c) => c.refreshToken);
    const okAfter = new Set<number>();
    const revokedOk: string[] = [];
    const toRevoke: string[] = [];
    for (let i = 0; i < 20; i++)
      toRevoke.push((await clientCredentials(w.server)).body.access_token);

    const call = async (kind: string, run: () => Promise<Reply>) => {
      try {
        const reply = await run();
        seen.push({ kind, phase, reply });
        return reply;
      } catch (err) {
        seen.push({ kind, phase, error: String(err) });
        return undefined;
      }
    };
    const loops = [
      // each client keeps rotating its own refresh token; after a 503 it retries with the token it
      // holds (the response may have been lost after the commit: the grace covers that)
      ...held.map(async (_, i) => {
        while (running) {
          const r = await call('refresh', () => refresh(w.server, held[i]));
          if (r?.status === 200) {
            held[i] = r.body.refresh_token;
            if (phase === 'after') okAfter.add(i);
          } else await pause(50);
        }
      }),
      (async () => {
        while (running)
          if ((await call('client_credentials', () => clientCredentials(w.server)))?.status !== 200)
            await pause(50);
      })(),
      (async () => {
        while (running)
          if ((await call('introspection', () => introspect(w.server, ccToken)))?.status !== 200)
            await pause(50);
      })(),
      // RFC 7009 under the outage: a 503 means "assume it still exists" (the client retries), a
      // 200 must have revoked; tokens minted beforehand, so the outage meets revocations
      (async () => {
        let token = toRevoke.pop();
        while (running) {
          token ??= (await call('client_credentials', () => clientCredentials(w.server)))?.body
            .access_token as string | undefined;
          const r = token ? await call('revocation', () => revoke(w.server, token!)) : undefined;
          if (r?.status === 200) {
            revokedOk.push(token!);
            token = toRevoke.pop();
          } else await pause(50);
        }
      })(),
    ];

    try {
      await eventually(() => {
        expect(seen.filter((s) => s.reply?.status === 200).length).toBeGreaterThan(20);
      }, 30_000);

      phase = 'during';
      await w.proxy.cut();
      await eventually(() => {
        for (const kind of ['refresh', 'client_credentials', 'introspection', 'revocation'])
          expect(
            seen.filter((s) => s.phase === 'during' && s.kind === kind && s.reply?.status === 503)
              .length,
          ).toBeGreaterThan(2);
      }, 30_000);
      const ready = await send(`${w.server.url}/readyz`);
      expect({ status: ready.status, body: ready.body }).toEqual({
        status: 503,
        body: { status: 'unavailable', reason: 'database unreachable' },
      });
      expect(ready.headers.get('retry-after')).toMatch(/^\d+$/);
      expect((await send(`${w.server.url}/healthz`)).status).toBe(200);

      await w.proxy.restore();
      phase = 'after';
      // no restart: the same process answers ready again, and every client rotates again
      await eventually(async () => {
        expect((await send(`${w.server.url}/readyz`)).status).toBe(200);
      }, 30_000);
      await eventually(() => expect(okAfter.size).toBe(CLIENTS), 30_000);
    } finally {
      running = false;
      await Promise.all(loops);
    }
    expect(w.server.pid).toBe(pid);
    expect(w.server.isRunning).toBe(true);

    // every request was answered; each answer is a success or a clean 503
    expect(seen.filter((s) => s.error)).toEqual([]);
    const statuses = new Set(seen.map((s) => s.reply!.status));
    expect([...statuses].sort()).toEqual([200, 503]);
    for (const s of seen.filter((x) => x.reply!.status === 503))
      expectTemporarilyUnavailable(s.reply!);
    // introspection fails closed: never "inactive" for a valid token because the database was away
    for (const s of seen.filter((x) => x.kind === 'introspection' && x.reply!.status === 200))
      expect(s.reply!.body.active).toBe(true);
    // a revocation answered 200 took effect, whenever it ran
    expect(revokedOk.length).toBeGreaterThan(0);
    for (const token of revokedOk)
      expect((await introspect(w.server, token)).body).toEqual({ active: false });
    // the outage happened after traffic was flowing: no 503 before it
    expect(seen.filter((s) => s.phase === 'before' && s.reply!.status !== 200)).toEqual([]);

    // no half-written rotation, no fork, no family with two live tokens
    expect(await rotationViolations(w.db.url)).toEqual({
      halfWritten: [],
      twoSuccessors: [],
      twoLive: [],
    });
    // and every client still holds a token that works
    for (const token of held) expect((await refresh(w.server, token)).status).toBe(200);
    expect(w.server.output).not.toMatch(/unhandled error|"level":50/);
  });
});

const DEADLINE_MS = 2000;

/**
 * The link stalls instead of breaking: connections stay open, nothing comes back, no error either.
 * No server-side timeout can help (its error would not get through); the request deadline answers
 * each request in its surface's shape, and the server serves again once the link does.
 */
describeOnServer('FT-01 the database link stalls', () => {
  const w = useFaultServer({
    reuseGraceSeconds: 300,
    users: 1,
    throughProxy: true,
    env: { TESSERA_REQUEST_DEADLINE_MS: String(DEADLINE_MS) },
  });

  it('answers every request 503 + Retry-After while it stalls (admin API as a problem), and recovers', async () => {
    const [user] = await signInAll(w.server, 1);
    const ccToken = (await clientCredentials(w.server)).body.access_token as string;
    const admin = await w.server.adminToken();
    const adminRead = () =>
      send(`${w.server.url}/admin/api/tenants`, { headers: { authorization: `Bearer ${admin}` } });
    expect((await adminRead()).status).toBe(200);

    w.proxy.stall();
    const pending: Array<Promise<Reply>> = [
      refresh(w.server, user.refreshToken),
      introspect(w.server, ccToken),
      revoke(w.server, ccToken),
    ];
    const admins = [adminRead(), adminRead()];
    let settled = 0;
    for (const p of [...pending, ...admins]) void p.finally(() => settled++);
    // all of them are answered while the link is still stalled (the old behaviour held them until
    // it came back)
    await eventually(() => expect(settled).toBe(pending.length + admins.length), 30_000);
    for (const r of await Promise.all(pending)) expectTemporarilyUnavailable(r);
    for (const r of await Promise.all(admins)) {
      expect({ status: r.status, retryAfter: r.headers.get('retry-after') }).toEqual({
        status: 503,
        retryAfter: expect.stringMatching(/^\d+$/),
      });
      expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(r.body).toEqual({
        type: 'about:blank',
        status: 503,
        code: 'unavailable',
        detail: expect.any(String),
      });
    }
    const metrics = (await send(`${w.server.url}/metrics`)).text;
    expect(sample(metrics, 'tessera_request_deadline_exceeded_total')).toBeGreaterThan(0);

    // the link comes back: the same process serves again, and the refresh token still works
    // (the stalled rotation either never ran or committed within the reuse grace)
    await w.proxy.restore();
    await eventually(async () => {
      expect((await send(`${w.server.url}/readyz`)).status).toBe(200);
    }, 30_000);
    expect((await adminRead()).status).toBe(200);
    expect((await refresh(w.server, user.refreshToken)).status).toBe(200);
    expect(await rotationViolations(w.db.url)).toEqual({
      halfWritten: [],
      twoSuccessors: [],
      twoLive: [],
    });
    expect(w.server.output).not.toMatch(/unhandled error|"level":50/);
  });
});
