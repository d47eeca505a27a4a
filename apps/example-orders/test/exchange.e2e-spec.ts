import type { INestApplication } from '@nestjs/common';
import { OrdersService } from '../src/orders';
import { ordersConfig, startOrders } from '../src/app';
import {
  authorize,
  eventually,
  freePort,
  send,
  useTestServer,
} from '../../server/test/support/harness';

// Two instances of the example against a real Tessera: the front one answers GET /orders/summary
// for a user and asks the second one too, with a token exchanged for the user's (RFC 8693).

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const cb = 'https://app.example.test/cb';

describe('apps/example-orders calling a second instance on the user’s behalf (token exchange)', () => {
  const t = useTestServer();
  let slug: string;
  let user: { id: string; email: string; password: string };
  let web: { clientId: string; secret: string };
  let front: { clientId: string; secret: string };
  const instances: INestApplication[] = [];
  let frontUrl: string;
  let backUrl: string;

  const userToken = async (scope: string) => {
    const s = await authorize(t, slug, {
      clientId: web.clientId,
      redirectUri: cb,
      email: user.email,
      password: user.password,
      scope,
    });
    const res = await t.token(
      slug,
      {
        grant_type: 'authorization_code',
        code: s.code,
        redirect_uri: cb,
        code_verifier: s.verifier!,
      },
      web,
    );
    return res.body as { access_token: string };
  };
  const summary = (url: string, token: string) =>
    send(`${url}/orders/summary`, { headers: { authorization: `Bearer ${token}` } });
  const exchanges = async () =>
    (
      await t.sql<{ n: number }>(
        `SELECT count(*)::int AS n FROM audit_events WHERE client_id = $1 AND type = 'token_exchanged'`,
        [front.clientId],
      )
    )[0].n;

  const start = async (env: Record<string, string>) => {
    const port = await freePort();
    const app = await startOrders(
      ordersConfig({ PORT: String(port), TESSERA_ISSUER: t.issuer(slug), ...env }),
    );
    instances.push(app);
    const url = `http://127.0.0.1:${port}`;
    await eventually(async () => expect((await send(`${url}/healthz`)).status).toBe(200), 10000);
    return url;
  };

  beforeAll(async () => {
    ({ slug } = await t.given.tenant());
    const scopes = [
      { name: 'orders:read', description: '' },
      { name: 'orders:write', description: '' },
    ];
    const frontApi = 'https://orders.example.test';
    const backApi = 'https://orders-archive.example.test';
    await t.given.resourceServer(slug, { identifier: frontApi, scopes });
    await t.given.resourceServer(slug, { identifier: backApi, scopes });
    web = await t.given.app(slug, {
      grantTypes: ['authorization_code'],
      redirectUris: [cb],
      grants: [
        { resourceServer: frontApi, scopes: ['orders:read', 'orders:write'], flows: ['user'] },
      ],
    });
    // an exchange carries only what the user holds at the target: orders:read at the second one
    user = await t.given.user(slug, {
      permissions: [
        { resourceServer: frontApi, scopes: ['orders:read', 'orders:write'] },
        { resourceServer: backApi, scopes: ['orders:read'] },
      ],
    });
    // the front instance's own application: it may exchange to the second one, for orders:read only
    front = await t.given.app(slug, {
      grantTypes: [TOKEN_EXCHANGE],
      tokenExchange: { targets: [{ resourceServer: backApi, scopes: ['orders:read'] }] },
    });
    const back = await t.given.app(slug, { grantTypes: ['client_credentials'] });
    backUrl = await start({
      TESSERA_AUDIENCE: backApi,
      TESSERA_CLIENT_ID: back.clientId,
      TESSERA_CLIENT_SECRET: back.secret,
    });
    frontUrl = await start({
      TESSERA_AUDIENCE: frontApi,
      TESSERA_CLIENT_ID: front.clientId,
      TESSERA_CLIENT_SECRET: front.secret,
      TESSERA_DOWNSTREAM_URL: backUrl,
      TESSERA_DOWNSTREAM_AUDIENCE: backApi,
    });
  });
  afterAll(async () => Promise.all(instances.map((i) => i.close())));

  it('answers with the second instance’s summary, where the user is the subject and the front acted', async () => {
    const { access_token } = await userToken('orders:read orders:write');
    const res = await summary(frontUrl, access_token);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      orders: 0,
      sub: user.id,
      act: null,
      downstream: { orders: 0, sub: user.id, act: { sub: front.clientId } },
    });
    expect(instances[0].get(OrdersService).handled).toBe(1);
  });

  it('exchanges once per user token and reuses the answer until shortly before its expiry', async () => {
    const { access_token } = await userToken('orders:read');
    const before = await exchanges();
    expect((await summary(frontUrl, access_token)).status).toBe(200);
    expect((await summary(frontUrl, access_token)).status).toBe(200);
    expect(await exchanges()).toBe(before + 1);
  });

  it('keeps the user token’s own audience: the second instance refuses it presented directly', async () => {
    const { access_token } = await userToken('orders:read');
    expect((await summary(backUrl, access_token)).status).toBe(401);
  });

  it('needs orders:read at the front (the exchange never widens a token)', async () => {
    const { access_token } = await userToken('orders:write');
    const before = await exchanges();
    expect((await summary(frontUrl, access_token)).status).toBe(403);
    expect(await exchanges()).toBe(before);
  });

  it('ends the exchanged token with the user’s session: the second instance refuses it (feed)', async () => {
    const { access_token } = await userToken('orders:read');
    const exchanged = await t.token(
      slug,
      {
        grant_type: TOKEN_EXCHANGE,
        subject_token: access_token,
        subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        resource: 'https://orders-archive.example.test',
      },
      front,
    );
    expect(exchanged.status).toBe(200);
    const token = exchanged.body.access_token as string;
    expect((await summary(backUrl, token)).body).toMatchObject({ act: { sub: front.clientId } });
    const sid = JSON.parse(Buffer.from(access_token.split('.')[1], 'base64url').toString()).sid;
    await t.revokeSession(slug, sid);
    await eventually(async () => expect((await summary(backUrl, token)).status).toBe(401));
    await eventually(async () => expect((await summary(frontUrl, access_token)).status).toBe(401));
  });
});
