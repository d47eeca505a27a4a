import { isServerMode } from '../../../../test-setup/test-database';
import {
  basic,
  eventually,
  form,
  send,
  startTestServer,
  useTestServer,
  type StartedTestServer,
} from '../support/harness';

/**
 * The token and introspection endpoints keep client credentials and grants in memory. A change
 * committed through one instance must stop being honoured by another one (which had them cached)
 * within moments, not at the end of a cache lifetime.
 */
(isServerMode() ? describe : describe.skip)(
  'cached client configuration across instances (skipped on the embedded database: one process owns it)',
  () => {
    const t = useTestServer();
    let other: StartedTestServer;
    let slug: string;
    let orders: { identifier: string; id: string };

    beforeAll(async () => {
      other = await startTestServer(t.databaseUrl);
      ({ slug } = await t.given.tenant());
      orders = await t.given.resourceServer(slug, {
        scopes: [{ name: 'orders:read', description: '' }],
      });
    });
    afterAll(async () => {
      await other?.server.stop();
    });

    const grants = () => [
      { resourceServer: orders.identifier, scopes: ['orders:read'], flows: ['client_credentials'] },
    ];
    const tokenOnOther = (clientId: string, secret: string) =>
      send(`${other.url}/t/${slug}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: basic(clientId, secret),
        },
        body: form({ grant_type: 'client_credentials' }),
      });

    it('a key activated through one instance verifies at once on the other (an unknown kid reloads the keys)', async () => {
      // a twin with the same PUBLIC_URL, so both are one issuer
      const twin = await startTestServer(t.databaseUrl, { PUBLIC_URL: t.url });
      try {
        const app = await t.given.app(slug, { grants: grants() });
        const introspectOnTwin = async (token: string) =>
          (
            await send(`http://127.0.0.1:${twin.config.port}/t/${slug}/introspect`, {
              method: 'POST',
              headers: {
                'content-type': 'application/x-www-form-urlencoded',
                authorization: basic(app.clientId, app.secret),
              },
              body: form({ token }),
            })
          ).body as { active: boolean };
        const mint = async () => {
          const res = await t.token(
            slug,
            { grant_type: 'client_credentials' },
            { clientId: app.clientId, secret: app.secret },
          );
          expect(res.status).toBe(200);
          return res.body.access_token as string;
        };
        expect((await introspectOnTwin(await mint())).active).toBe(true); // the twin caches the keys now
        // two forced rotations here: the key that signs next did not exist when the twin cached
        for (let i = 0; i < 2; i++) {
          const rotated = await t.json(
            'POST',
            `/admin/api/tenants/${slug}/keys/rotate`,
            { force: true },
            await t.adminToken(),
          );
          expect(rotated.status).toBe(200);
        }
        const token = await mint();
        await new Promise((r) => setTimeout(r, 1100)); // the reload is limited to once a second
        expect((await introspectOnTwin(token)).active).toBe(true);
      } finally {
        await twin.server.stop();
      }
    });

    it('a secret regenerated through one instance is refused by the other, the new one accepted', async () => {
      const app = await t.given.app(slug, { grants: grants() });
      // the other instance has the application cached
      expect((await tokenOnOther(app.clientId, app.secret)).status).toBe(200);
      expect((await tokenOnOther(app.clientId, app.secret)).status).toBe(200);
      const res = await t.json(
        'POST',
        `/admin/api/tenants/${slug}/applications/${app.clientId}/secret`,
        {},
        await t.adminToken(),
      );
      expect(res.status).toBe(200);
      const fresh = res.body.clientSecret as string;
      await eventually(async () => {
        const old = await tokenOnOther(app.clientId, app.secret);
        expect(old.status).toBe(401);
        expect(old.body.error).toBe('invalid_client');
      });
      expect((await tokenOnOther(app.clientId, fresh)).status).toBe(200);
      // and on the instance that made the change, at once
      expect((await t.token(slug, { grant_type: 'client_credentials' }, app)).status).toBe(401);
    });

    it('a grant withdrawn through one instance is no longer honoured by the other', async () => {
      const app = await t.given.app(slug, { grants: grants() });
      const before = await tokenOnOther(app.clientId, app.secret);
      expect(before.status).toBe(200);
      expect(before.body.scope).toBe('orders:read');
      const res = await t.json(
        'PATCH',
        `/admin/api/tenants/${slug}/applications/${app.clientId}`,
        { grants: [] },
        await t.adminToken(),
      );
      expect(res.status).toBe(200);
      await eventually(async () => {
        const after = await tokenOnOther(app.clientId, app.secret);
        expect(after.status).toBe(400);
        expect(after.body.error).toBe('invalid_target');
      });
    });

    it('an application deleted through one instance is unknown to the other', async () => {
      const app = await t.given.app(slug, { grants: grants() });
      expect((await tokenOnOther(app.clientId, app.secret)).status).toBe(200);
      const res = await t.json(
        'DELETE',
        `/admin/api/tenants/${slug}/applications/${app.clientId}`,
        undefined,
        await t.adminToken(),
      );
      expect(res.status).toBe(204);
      await eventually(async () => {
        expect((await tokenOnOther(app.clientId, app.secret)).status).toBe(401);
      });
    });

    it('resource-server credentials reissued through one instance: the old ones stop introspecting on the other', async () => {
      const issue = async () => {
        const res = await t.json(
          'POST',
          `/admin/api/tenants/${slug}/resource-servers/${orders.id}/credentials`,
          {},
          await t.adminToken(),
        );
        expect(res.status).toBe(200);
        return res.body as { clientId: string; clientSecret: string };
      };
      const introspectOnOther = (c: { clientId: string; clientSecret: string }) =>
        send(`${other.url}/t/${slug}/introspect`, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: basic(c.clientId, c.clientSecret),
          },
          body: form({ token: 'not-a-token' }),
        });
      const first = await issue();
      expect((await introspectOnOther(first)).status).toBe(200);
      const second = await issue();
      await eventually(async () => {
        expect((await introspectOnOther(first)).status).toBe(401);
      });
      const res = await introspectOnOther(second);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ active: false });
    });
  },
);
