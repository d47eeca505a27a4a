import type { TesseraAuthOptions } from '@tessera/nest-guards';
import { startOrders } from '../../../example-orders/src/app';
import { OrdersService } from '../../../example-orders/src/orders';
import { createTestDatabase, type TestDatabase } from '../../../../test-setup/test-database';
import { eventually, freePort, send } from '../support/harness';
import { PgProxy, ServerProcess } from '../support/processes';
import { API, APP, bootstrap, clientCredentials, describeOnServer, SLUG } from '../support/faults';

const JWKS_MAX_AGE_S = 6; // refetched every 3 s while the issuer answers
const FEED_STALENESS_S = 18; // above the server's 15 s keep-alive ping, or a healthy feed would flap

/** The example service (apps/example-orders) with these guard options; counts handler runs. */
async function guardedService(name: string, options: TesseraAuthOptions) {
  const port = await freePort();
  const app = await startOrders({ ...options, port });
  const url = `http://127.0.0.1:${port}`;
  const orders = app.get(OrdersService);
  return {
    name,
    app,
    state: orders,
    call: (token: string) =>
      send(`${url}/orders`, { headers: { authorization: `Bearer ${token}` } }),
    health: () => send(`${url}/healthz`),
  };
}
type Guarded = Awaited<ReturnType<typeof guardedService>>;

/** Refused without reaching the handler: 503 + Retry-After or 401 invalid_token, as configured. */
async function expectClosed(g: Guarded, token: string, status: 401 | 503): Promise<void> {
  const before = g.state.handled;
  const res = await g.call(token);
  expect({ guard: g.name, status: res.status }).toEqual({ guard: g.name, status });
  expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
  if (status === 503) expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
  expect(g.state.handled).toBe(before);
}

async function expectOpen(g: Guarded, token: string): Promise<void> {
  const before = g.state.handled;
  expect({ guard: g.name, status: (await g.call(token)).status }).toEqual({
    guard: g.name,
    status: 200,
  });
  expect(g.state.handled).toBe(before + 1);
}

/**
 * FT-13 (and the guard side of FT-15): the issuer goes away — JWKS, introspection endpoint and
 * revocation feed with it, refused connections through a TCP proxy in front of a real server
 * process. The guard library must keep validating JWTs with the keys it has until they are older
 * than their max age, then refuse every token (503 + Retry-After, or 401 as configured) and say so
 * in its health; introspection fails closed at once for any token it has not confirmed; a guard
 * following the feed fails closed after its staleness bound. Never open; all recover when the
 * issuer returns.
 */
describeOnServer('FT-13 the issuer unreachable for longer than the guard’s caches', () => {
  let db: TestDatabase | undefined;
  let proxy: PgProxy | undefined;
  let server: ServerProcess | undefined;
  const guards: Guarded[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    const port = await freePort();
    proxy = await PgProxy.start(`http://127.0.0.1:${port}`);
    // the issuer's public URL is the proxy's: discovery, JWKS, introspection and feed go through it
    server = await ServerProcess.start({
      databaseUrl: db.url,
      port,
      env: { PUBLIC_URL: `http://127.0.0.1:${proxy.port}` },
      bootstrap: bootstrap({ reuseGraceSeconds: 10, users: 0 }),
    });
    const base = {
      issuer: `http://127.0.0.1:${proxy.port}/t/${SLUG}`,
      audience: API,
      clientId: APP.clientId,
      clientSecret: APP.secret,
    };
    guards.push(
      await guardedService('jwt', { ...base, mode: 'jwt', jwksCacheMaxAgeSeconds: JWKS_MAX_AGE_S }),
      await guardedService('jwt, 401', {
        ...base,
        mode: 'jwt',
        jwksCacheMaxAgeSeconds: JWKS_MAX_AGE_S,
        unavailableStatus: 401,
      }),
      await guardedService('introspection', {
        ...base,
        mode: 'introspection',
        introspectionCacheSeconds: 1,
      }),
      await guardedService('introspection, 401', {
        ...base,
        mode: 'introspection',
        introspectionCacheSeconds: 1,
        unavailableStatus: 401,
      }),
      await guardedService('jwt+feed', {
        ...base,
        mode: 'jwt+feed',
        feedStalenessSeconds: FEED_STALENESS_S,
      }),
    );
  }, 180_000);
  afterAll(async () => {
    for (const g of guards) await g.app.close();
    await proxy?.restore();
    await server?.stop();
    await proxy?.stop();
    await db?.drop();
  });

  it('validates with cached keys until their max age, then fails closed and reports it; introspection and a stale feed fail closed; never open; all recover', async () => {
    const [jwt, jwt401, introspection, introspection401, feed] = guards;
    const mint = async () => {
      const res = await clientCredentials(server!);
      expect(res.status).toBe(200);
      return res.body.access_token as string;
    };
    const seen = await mint(); // presented to every guard before the outage
    const unseen = await mint(); // presented to none before the outage
    for (const g of guards) {
      await expectOpen(g, seen);
      const h = await g.health();
      expect({ guard: g.name, status: h.status }).toEqual({ guard: g.name, status: 200 });
    }
    expect((await jwt.health()).body.info.tessera).toMatchObject({ jwksStale: false });

    await proxy!.cut(); // the issuer is unreachable: connections refused
    const cutAt = Date.now();

    // within the max age: JWT validation goes on with the cached keys, even for a token never seen
    for (const g of [jwt, jwt401, feed]) {
      await expectOpen(g, seen);
      await expectOpen(g, unseen);
    }
    // the feed guard has lost its feed and says so, but stays within its staleness bound
    expect((await feed.health()).body.error.tessera).toMatchObject({
      feedConnected: false,
      feedStale: false,
    });
    // introspection cannot confirm a token it has not seen: closed at once
    await expectClosed(introspection, unseen, 503);
    await expectClosed(introspection401, unseen, 401);
    // and once its short positive cache has run out, not the confirmed one either
    await eventually(() => expectClosed(introspection, seen, 503), 10_000);
    await eventually(() => expectClosed(introspection401, seen, 401), 10_000);

    // past the max age without a successful fetch: the JWKS is stale and every token is refused,
    // those verified before the outage included
    for (const g of [jwt, jwt401])
      await eventually(async () => {
        const h = await g.health();
        expect(h.status).toBe(503);
        expect(h.body.error.tessera).toMatchObject({ status: 'down', jwksStale: true });
      }, 30_000);
    expect(Date.now() - cutAt).toBeGreaterThanOrEqual((JWKS_MAX_AGE_S / 2) * 1000 - 500);
    for (const token of [seen, unseen]) {
      await expectClosed(jwt, token, 503);
      await expectClosed(jwt401, token, 401);
    }

    // the feed-following guard has the same keys fresh (default max age) but has lost the feed:
    // past its staleness bound it refuses too, and its health says why
    await eventually(
      async () => {
        const h = await feed.health();
        expect(h.status).toBe(503);
        expect(h.body.error.tessera).toMatchObject({
          status: 'down',
          feedConnected: false,
          feedStale: true,
        });
      },
      (FEED_STALENESS_S + 15) * 1000,
    );
    await expectClosed(feed, seen, 503);
    await expectClosed(feed, unseen, 503);

    // the issuer returns: every guard validates again by itself, and says so
    await proxy!.restore();
    for (const g of guards)
      await eventually(async () => {
        await expectOpen(g, unseen);
        expect((await g.health()).status).toBe(200);
      }, 30_000);
    expect((await jwt.health()).body.info.tessera).toMatchObject({ jwksStale: false });
  });
});
