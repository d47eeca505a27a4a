import { resourceServerSchema } from '@tessera/contracts';
import { useTestServices } from '../../test/support/services';
import type { Tenant } from '../tenants';
import { ResourceServersService } from './resource-servers.service';

describe('resource servers on the database', () => {
  const t = useTestServices();
  const servers = () => t.get(ResourceServersService);

  const orders = (tenant: Tenant, identifier = 'https://orders.example') =>
    servers().create(
      tenant.id,
      resourceServerSchema.parse({
        identifier,
        name: 'Orders',
        scopes: [
          { name: 'orders:read', description: 'Read orders' },
          { name: 'orders:write', description: 'Write orders' },
          { name: 'orders:refund', description: 'Refund orders' },
        ],
        permissionGroups: [{ name: 'clerk', scopes: ['orders:read', 'orders:write'] }],
      }),
    );
  const accessRows = (applicationId: string) =>
    t.sql<{ id: string; resource_server_id: string; scopes: string[]; flows: string[] }>(
      'SELECT id, resource_server_id, scopes, flows FROM application_grants WHERE application_id = $1',
      [applicationId],
    );

  it("replaces an application's access with sorted, distinct rows, and a same-again replace writes nothing", async () => {
    const tenant = await t.given.tenant();
    const rs = await orders(tenant);
    const app = await t.given.app(tenant);
    const access = [
      {
        resourceServer: rs.identifier,
        scopes: ['orders:write', 'orders:read', 'orders:write'],
        flows: ['user' as const],
      },
    ];
    expect(await t.transaction((em) => servers().setGrants(em, tenant.id, app.id, access))).toBe(
      true,
    );
    const rows = await accessRows(app.id);
    expect(rows).toEqual([
      {
        id: expect.any(String),
        resource_server_id: rs.id,
        scopes: ['orders:read', 'orders:write'],
        flows: ['user'],
      },
    ]);
    expect(await t.transaction((em) => servers().setGrants(em, tenant.id, app.id, access))).toBe(
      false,
    );
    expect(await accessRows(app.id)).toEqual(rows); // the same rows, not rewritten
    expect(await servers().grantViews(tenant.id, app.id)).toEqual([
      {
        resourceServer: rs.identifier,
        scopes: ['orders:read', 'orders:write'],
        permissionGroups: [],
        flows: ['user'],
      },
    ]);
  });

  it('refuses every unknown server, scope and group at once, with a pointer each, and writes nothing', async () => {
    const tenant = await t.given.tenant();
    const rs = await orders(tenant);
    const app = await t.given.app(tenant);
    await expect(
      t.transaction((em) =>
        servers().setGrants(em, tenant.id, app.id, [
          { resourceServer: rs.identifier, scopes: ['orders:read', 'nope'], flows: ['user'] },
          { resourceServer: 'https://unknown.example', flows: ['user'] },
          { resourceServer: rs.identifier, permissionGroups: ['ghost'], flows: ['user'] },
        ]),
      ),
    ).rejects.toMatchObject({
      errors: [
        { pointer: '/grants/0/scopes/1', detail: 'Unknown scope nope' },
        {
          pointer: '/grants/1/resourceServer',
          detail: 'No resource server https://unknown.example in this tenant',
        },
        { pointer: '/grants/2/resourceServer', detail: 'Granted twice; merge the two grants' },
        { pointer: '/grants/2/permissionGroups/0', detail: 'Unknown permission group ghost' },
      ],
    });
    expect(await accessRows(app.id)).toEqual([]);
  });

  it('gives a user token what the application may ask for and the user holds, nothing more', async () => {
    const tenant = await t.given.tenant();
    const rs = await orders(tenant);
    const app = await t.given.app(tenant);
    const user = await t.given.user(tenant);
    await t.transaction(async (em) => {
      await servers().setGrants(em, tenant.id, app.id, [
        {
          resourceServer: rs.identifier,
          scopes: ['orders:read', 'orders:refund'],
          flows: ['user'],
        },
      ]);
      await servers().setUserPermissions(em, tenant.id, user.id, [
        { resourceServer: rs.identifier, permissionGroups: ['clerk'] },
      ]);
    });
    const now = await servers().currentUserAccess(tenant.id, app.id, user.id, rs.id);
    expect([...now.scopes]).toEqual(['orders:read']);
    expect(await servers().permissionViews(tenant.id, user.id)).toEqual([
      { resourceServer: rs.identifier, permissionGroups: ['clerk'], scopes: [] },
    ]);
  });

  it('keeps what a user holds at a built-in API when their permissions are replaced, and refuses to set it there', async () => {
    const tenant = await t.given.tenant();
    const rs = await orders(tenant);
    const user = await t.given.user(tenant);
    const builtIn = 'https://builtin.example';
    await t.transaction(async (em) => {
      await servers().upsert(
        em,
        tenant.id,
        resourceServerSchema.parse({
          identifier: builtIn,
          name: 'Built in',
          scopes: [{ name: 'self', description: 'Own account' }],
        }),
        { heldByEveryUser: false },
      );
      await servers().holdBuiltIn(em, tenant.id, user.id, builtIn, ['self']);
    });
    await expect(
      t.transaction((em) =>
        servers().setUserPermissions(em, tenant.id, user.id, [
          { resourceServer: builtIn, scopes: ['self'] },
        ]),
      ),
    ).rejects.toMatchObject({ errors: [{ pointer: '/permissions/0/resourceServer' }] });
    await t.transaction((em) =>
      servers().setUserPermissions(em, tenant.id, user.id, [
        { resourceServer: rs.identifier, scopes: ['orders:read'] },
      ]),
    );
    const held = await t.sql<{ identifier: string; scopes: string[] }>(
      `SELECT rs.identifier, p.scopes FROM user_permissions p
         JOIN resource_servers rs ON rs.id = p.resource_server_id
        WHERE p.user_id = $1 ORDER BY rs.identifier`,
      [user.id],
    );
    expect(held).toEqual([
      { identifier: builtIn, scopes: ['self'] },
      { identifier: rs.identifier, scopes: ['orders:read'] },
    ]);
  });

  it('deletes a resource server with its access rows, and cuts off every token for its identifier', async () => {
    const tenant = await t.given.tenant();
    const rs = await orders(tenant);
    const app = await t.given.app(tenant);
    await t.transaction((em) =>
      servers().setGrants(em, tenant.id, app.id, [
        { resourceServer: rs.identifier, scopes: ['orders:read'], flows: ['client_credentials'] },
      ]),
    );
    await servers().remove(tenant.id, rs.id);
    expect(await t.sql('SELECT 1 FROM resource_servers WHERE id = $1', [rs.id])).toEqual([]);
    expect(await accessRows(app.id)).toEqual([]);
    const cuts = await t.sql(
      `SELECT 1 FROM revocation_events WHERE tenant_id = $1 AND type = 'audience' AND aud = $2`,
      [tenant.id, rs.identifier],
    );
    expect(cuts).toHaveLength(1);
  });
});
