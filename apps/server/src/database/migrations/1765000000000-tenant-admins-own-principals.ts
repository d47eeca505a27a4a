import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A tenant's administrators are principals of that tenant, never of another one. Until now a row
 * of a customer tenant named a principal of the `system` tenant, found or created by email: a
 * tenant administrator could create the console sign-in that another tenant's administrator would
 * later be given. Those rows go, and the tenant's own users holding the `admin` role (enabled)
 * take their place; `system`'s rows (the root administrators) stay. The system principals such
 * rows named keep their user rows but no longer hold the admin API's scopes, which from now on
 * only `system`'s own administrators do there. `down` cannot bring back what was dropped: it only
 * removes the rows this migration added.
 */
export class TenantAdminsOwnPrincipals1765000000000 implements MigrationInterface {
  name = 'TenantAdminsOwnPrincipals1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      DELETE FROM tenant_admins ta USING tenants t
      WHERE t.id = ta.tenant_id AND t.slug <> 'system'`);
    await q.query(`
      INSERT INTO tenant_admins (tenant_id, subject)
      SELECT u.tenant_id, u.id::text FROM users u JOIN tenants t ON t.id = u.tenant_id
      WHERE t.slug <> 'system' AND u.roles ? 'admin' AND NOT u.is_disabled
      ON CONFLICT DO NOTHING`);
    await q.query(`
      DELETE FROM user_permissions up USING resource_servers rs, tenants t
      WHERE rs.id = up.resource_server_id AND t.id = up.tenant_id AND t.slug = 'system'
        AND rs.identifier = 'urn:tessera:admin-api'
        AND NOT EXISTS (SELECT 1 FROM tenant_admins ta WHERE ta.tenant_id = up.tenant_id AND ta.subject = up.user_id::text)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DELETE FROM tenant_admins ta USING tenants t, users u
      WHERE t.id = ta.tenant_id AND t.slug <> 'system' AND u.id::text = ta.subject AND u.tenant_id = ta.tenant_id`);
  }
}
