import { DataSource } from 'typeorm';
import { SystemSetup } from '../../src/admin';
import { TenantAdminsOwnPrincipals1765000000000 } from '../../src/database/migrations/1765000000000-tenant-admins-own-principals';
import { consoleSignIn, useTestServer } from '../support/harness';

/**
 * A database from before tenant administrators were the tenant's own users: its customer tenants
 * were administered by principals of `system`, found or created by email — some of them planted by
 * another tenant's administrator. Upgrading drops every such grant and makes the tenant's own
 * `admin` users its administrators, signing in at the tenant.
 */
describe('upgrading a database whose tenant administrators were system principals', () => {
  const t = useTestServer();

  it('drops the old grants, makes the tenant’s own admins its administrators, and gives them the console', async () => {
    const { slug, id: tenantId } = await t.given.tenant();
    const ada = await t.given.user(slug, { email: 'ada@acme.test', roles: ['admin'] });
    const planted = await t.given.user('system', { email: 'ada@acme.test' });
    const [system] = await t.sql(`SELECT id FROM tenants WHERE slug = 'system'`);
    const [adminApi] = await t.sql(
      `SELECT id FROM resource_servers WHERE tenant_id = $1 AND identifier = 'urn:tessera:admin-api'`,
      [system.id],
    );
    // the old shape: acme administered by the system principal, which holds the admin scopes
    await t.sql(`DELETE FROM tenant_admins WHERE tenant_id = $1`, [tenantId]);
    await t.sql(`INSERT INTO tenant_admins (tenant_id, subject) VALUES ($1, $2)`, [
      tenantId,
      planted.id,
    ]);
    await t.sql(
      `INSERT INTO user_permissions (tenant_id, user_id, resource_server_id, scopes, permission_groups)
       VALUES ($1, $2, $3, '["admin:tenants:read"]', '[]')`,
      [system.id, planted.id, adminApi.id],
    );
    // … and no built-ins yet
    await t.sql(`DELETE FROM applications WHERE tenant_id = $1 AND client_id = 'tessera-console'`, [
      tenantId,
    ]);
    await t.sql(`DELETE FROM user_permissions WHERE tenant_id = $1`, [tenantId]);
    await t.sql(`DELETE FROM resource_servers WHERE tenant_id = $1 AND is_system`, [tenantId]);

    const runner = t.server.app.get(DataSource).createQueryRunner();
    try {
      await new TenantAdminsOwnPrincipals1765000000000().up(runner);
    } finally {
      await runner.release();
    }
    expect(await t.server.app.get(SystemSetup).ensure()).toBeUndefined();

    expect(
      await t.sql(`SELECT subject FROM tenant_admins WHERE tenant_id = $1`, [tenantId]),
    ).toEqual([{ subject: ada.id }]);
    expect(await t.sql(`SELECT 1 FROM user_permissions WHERE user_id = $1`, [planted.id])).toEqual(
      [],
    );
    // the planted principal administers nothing; ada signs in at acme and administers acme
    const old = await consoleSignIn(t, 'system', planted.email, planted.password);
    expect((await t.get(`/admin/api/tenants/${slug}`, old.access_token)).status).toBe(403);
    const now = await consoleSignIn(t, slug, ada.email, ada.password);
    const list = await t.get('/admin/api/tenants', now.access_token);
    expect(list.body.map((x: { slug: string }) => x.slug)).toEqual([slug]);
  });
});
