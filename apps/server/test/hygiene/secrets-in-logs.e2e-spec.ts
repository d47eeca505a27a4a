import { send, useTestServer } from '../support/harness';

describe('secrets hygiene (FT-14)', () => {
  const t = useTestServer({
    env: { TESSERA_ADMIN_PASSWORD: 'an admin password that must never be logged' },
  });

  it('never writes a token, client secret or password to the logs, even at debug level', async () => {
    const issued: string[] = [
      t.automation().clientSecret,
      'an admin password that must never be logged',
    ];
    const admin = await t.adminToken();
    issued.push(admin);
    const { slug } = await t.given.tenant();
    const rs = await t.given.resourceServer(slug, { scopes: [{ name: 's', description: '' }] });
    const app = await t.given.app(slug, {
      grants: [{ resourceServer: rs.identifier, scopes: ['s'], flows: ['client_credentials'] }],
    });
    issued.push(app.secret);
    const chosen = 'a-chosen-secret-of-at-least-32-characters';
    await t.given.app(slug, { clientSecret: chosen });
    issued.push(chosen);
    const ok = await t.token(
      slug,
      { grant_type: 'client_credentials' },
      { clientId: app.clientId, secret: app.secret },
    );
    issued.push(ok.body.access_token);
    // failures: a wrong secret, a secret in the body alongside Basic, a bad bearer
    const wrongSecret = 'wrong-secret-wrong-secret-wrong-secret';
    issued.push(wrongSecret);
    await t.token(
      slug,
      { grant_type: 'client_credentials' },
      { clientId: app.clientId, secret: wrongSecret },
    );
    await t.token(
      slug,
      { grant_type: 'client_credentials', client_secret: app.secret },
      { clientId: app.clientId, secret: app.secret },
    );
    await t.get('/admin/api/tenants', `${admin}x`);
    await send(`${t.url}/t/${slug}/token?access_token=${ok.body.access_token}`, { method: 'POST' });
    const regenerated = await t.json(
      'POST',
      `/admin/api/tenants/${slug}/applications/${app.clientId}/secret`,
      undefined,
      admin,
    );
    issued.push(regenerated.body.clientSecret);

    const logs = t.logs.text();
    expect(logs).toContain('"level":20'); // debug lines were written
    expect(logs.length).toBeGreaterThan(1000);
    for (const value of issued) {
      expect(value.length).toBeGreaterThan(20);
      expect(logs).not.toContain(value);
      expect(logs).not.toContain(value.slice(0, 24)); // not even a prefix
    }
  });
});
