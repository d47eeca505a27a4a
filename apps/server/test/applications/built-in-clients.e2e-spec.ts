import { AUTOMATION_CLIENT_ID, CONSOLE_CLIENT_ID } from '../../src/admin';
import { consoleSignIn, useTestServer, type Reply } from '../support/harness';

/**
 * The built-in clients are how Tessera is administered: the console's client of every tenant and
 * the system tenant's automation client. The admin API marks them and refuses to delete them, with a
 * problem that says why, and each still works afterwards.
 */
describe('built-in (system) clients', () => {
  const t = useTestServer();

  const expectConflict = (res: Reply, why: RegExp) => {
    expect(res.status).toBe(409);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 409, detail: expect.stringMatching(why) });
  };

  it('refuses to delete the automation client, which still gets tokens for the admin API', async () => {
    const path = `/admin/api/tenants/system/applications/${AUTOMATION_CLIENT_ID}`;
    const token = await t.adminToken();
    expect((await t.get(path, token)).body).toMatchObject({ isSystem: true, isDisabled: false });

    expectConflict(
      await t.json('DELETE', path, undefined, token),
      /system client: scripts and deployments call the admin API with it/,
    );

    const [row] = await t.sql(
      `SELECT count(*)::int AS n FROM applications a JOIN tenants t ON t.id = a.tenant_id
        WHERE t.slug = 'system' AND a.client_id = $1`,
      [AUTOMATION_CLIENT_ID],
    );
    expect(row.n).toBe(1);
    const a = t.automation();
    const fresh = await t.token(
      'system',
      { grant_type: 'client_credentials' },
      { clientId: a.clientId, secret: a.clientSecret },
    );
    expect(fresh.status).toBe(200);
    expect((await t.get('/admin/api/tenants', fresh.body.access_token)).status).toBe(200);
  });

  it('refuses to delete or disable a tenant’s console client; its administrators still sign in', async () => {
    const { slug } = await t.given.tenant();
    const admin = await t.given.tenantAdmin(slug);
    const path = `/admin/api/tenants/${slug}/applications/${CONSOLE_CLIENT_ID}`;
    const token = admin.tokens.access_token;
    expect((await t.get(path, token)).body.isSystem).toBe(true);

    expectConflict(
      await t.json('DELETE', path, undefined, token),
      /system client: the admin console signs this tenant's administrators in with it/,
    );
    expectConflict(await t.json('PATCH', path, { isDisabled: true }, token), /cannot be disabled/);

    expect((await t.get(path, await t.adminToken())).body).toMatchObject({
      isSystem: true,
      isDisabled: false,
    });
    const again = await consoleSignIn(t, slug, admin.email, admin.password);
    expect((await t.get(`/admin/api/tenants/${slug}`, again.access_token)).status).toBe(200);
  });

  it('marks only the built-ins: a tenant’s own application, even one named like the automation client, is not a system client', async () => {
    const { slug } = await t.given.tenant();
    const token = await t.adminToken();
    const own = await t.json(
      'POST',
      `/admin/api/tenants/${slug}/applications`,
      {
        clientId: AUTOMATION_CLIENT_ID,
        name: 'Our own automation',
        type: 'confidential',
        grantTypes: ['client_credentials'],
      },
      token,
    );
    expect(own.status).toBe(201);
    expect(own.body.application.isSystem).toBe(false);
    const list = await t.get(`/admin/api/tenants/${slug}/applications`, token);
    expect(
      (list.body as { clientId: string; isSystem: boolean }[])
        .map((a) => [a.clientId, a.isSystem])
        .sort(),
    ).toEqual([
      [AUTOMATION_CLIENT_ID, false],
      [CONSOLE_CLIENT_ID, true],
    ]);
    const removed = await t.json(
      'DELETE',
      `/admin/api/tenants/${slug}/applications/${AUTOMATION_CLIENT_ID}`,
      undefined,
      token,
    );
    expect(removed.status).toBe(204);
  });
});
