import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { BootstrapService, readBootstrapFile } from '../../src/bootstrap';
import { createTestDatabase } from '../../../../test-setup/test-database';
import { startTestServer, useTestServer } from '../support/harness';

const dir = mkdtempSync(join(tmpdir(), 'tessera-bootstrap-'));
const file = join(dir, 'bootstrap.json');

const base = () => ({
  tenants: [
    {
      slug: 'acme',
      name: 'Acme',
      policy: { accessTokenTtl: '10m' },
      resourceServers: [
        {
          identifier: 'https://api.acme.test/orders',
          name: 'Orders',
          baseUrls: ['https://api.acme.test/orders'],
          scopes: [
            { name: 'orders:read', description: 'Read' },
            { name: 'orders:write', description: 'Write' },
          ],
          permissionGroups: [{ name: 'order-clerk', scopes: ['orders:read', 'orders:write'] }],
        },
      ],
      applications: [
        {
          clientId: 'acme-web',
          name: 'Acme Web',
          type: 'confidential',
          clientSecret: 'change-me-please-32-chars-minimum',
          redirectUris: ['http://localhost:5173/cb'],
          grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
          policy: {
            accessTokenTtl: '5m',
            refreshIdleTtl: '14d',
            refreshAbsoluteTtl: '90d',
            sessionIdleTtl: '7d',
            sessionAbsoluteTtl: '90d',
            sliding: true,
            rotation: true,
            reuseGraceSeconds: 10,
            onReuse: 'revoke-session',
          },
          grants: [
            {
              resourceServer: 'https://api.acme.test/orders',
              permissionGroups: ['order-clerk'],
              flows: ['user', 'client_credentials'],
            },
          ],
        },
      ],
      users: [
        { email: 'ada@acme.test', password: 'correct horse battery staple', roles: ['admin'] },
      ],
    },
  ],
});
writeFileSync(file, JSON.stringify(base()));

describe('the bootstrap file (configuration as code)', () => {
  const t = useTestServer({ env: { TESSERA_BOOTSTRAP: file } });
  const apply = (path: string) => t.server.app.get(BootstrapService).apply(readBootstrapFile(path));

  it('is applied at start: tenant, resource server, application with every policy field, user', async () => {
    expect(t.server.bootstrap?.created).toEqual([
      'tenant acme',
      'resource server https://api.acme.test/orders',
      'application acme-web',
      'user ada@acme.test',
    ]);
    const app = await t.get('/admin/api/tenants/acme/applications/acme-web', await t.adminToken());
    expect(app.body.effectivePolicy).toEqual({
      accessTokenTtl: '5m',
      refreshIdleTtl: '14d',
      refreshAbsoluteTtl: '90d',
      sessionIdleTtl: '7d',
      sessionAbsoluteTtl: '90d',
      sliding: true,
      rotation: true,
      reuseGraceSeconds: 10,
      onReuse: 'revoke-session',
    });
    expect(app.body.grants).toEqual([
      {
        resourceServer: 'https://api.acme.test/orders',
        scopes: [],
        permissionGroups: ['order-clerk'],
        flows: ['client_credentials', 'user'],
      },
    ]);
    const token = await t.token(
      'acme',
      { grant_type: 'client_credentials' },
      { clientId: 'acme-web', secret: 'change-me-please-32-chars-minimum' },
    );
    expect(token.status).toBe(200);
    expect(token.body.scope).toBe('orders:read orders:write');
    const users = await t.sql(
      `SELECT t.slug, u.email, u.password_hash, u.roles FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE u.email = 'ada@acme.test' ORDER BY t.slug`,
    );
    // roles: ["admin"] makes Ada an administrator of acme, as acme's user: nothing in another tenant
    expect(users).toEqual([
      {
        slug: 'acme',
        email: 'ada@acme.test',
        password_hash: expect.stringMatching(/^\$argon2id\$/),
        roles: ['admin'],
      },
    ]);
    expect(
      await t.sql(
        `SELECT t.slug FROM tenant_admins ta JOIN tenants t ON t.id = ta.tenant_id JOIN users u ON u.id::text = ta.subject AND u.tenant_id = ta.tenant_id WHERE u.email = 'ada@acme.test'`,
      ),
    ).toEqual([{ slug: 'acme' }]);
    expect(JSON.stringify(await t.sql(`SELECT * FROM applications`))).not.toContain(
      'change-me-please',
    );
    expect((await t.get('/readyz')).status).toBe(200);
  });

  it('changes nothing when applied again', async () => {
    const before = await t.sql(
      `SELECT table_name, updated_at FROM (SELECT 'tenants' AS table_name, updated_at FROM tenants UNION ALL SELECT 'applications', updated_at FROM applications UNION ALL SELECT 'users', updated_at FROM users UNION ALL SELECT 'rs', updated_at FROM resource_servers) x ORDER BY 1, 2`,
    );
    const hashBefore = await t.sql(
      `SELECT password_hash, secret_hash FROM users, applications WHERE users.email = 'ada@acme.test' AND applications.client_id = 'acme-web'`,
    );
    expect(await apply(file)).toEqual({ created: [], updated: [] });
    expect(
      await t.sql(
        `SELECT table_name, updated_at FROM (SELECT 'tenants' AS table_name, updated_at FROM tenants UNION ALL SELECT 'applications', updated_at FROM applications UNION ALL SELECT 'users', updated_at FROM users UNION ALL SELECT 'rs', updated_at FROM resource_servers) x ORDER BY 1, 2`,
      ),
    ).toEqual(before);
    expect(
      await t.sql(
        `SELECT password_hash, secret_hash FROM users, applications WHERE users.email = 'ada@acme.test' AND applications.client_id = 'acme-web'`,
      ),
    ).toEqual(hashBefore);
  });

  it('updates what a changed file names and deletes nothing; YAML works too', async () => {
    const changed = base();
    changed.tenants[0].name = 'Acme Corp';
    changed.tenants[0].applications[0].policy.accessTokenTtl = '2m';
    changed.tenants[0].applications[0].clientSecret = 'a-new-secret-that-is-32-characters-long';
    (changed.tenants[0] as { applications: unknown[] }).applications.push({
      clientId: 'acme-cli',
      name: 'CLI',
      type: 'public',
      redirectUris: ['http://127.0.0.1/cb'],
      grantTypes: ['authorization_code'],
    });
    const yamlFile = join(dir, 'bootstrap.yaml');
    writeFileSync(yamlFile, stringify(changed));
    expect(await apply(yamlFile)).toEqual({
      created: ['application acme-cli'],
      updated: ['tenant acme', 'application acme-web'],
    });
    expect(
      (
        await t.token(
          'acme',
          { grant_type: 'client_credentials' },
          { clientId: 'acme-web', secret: 'a-new-secret-that-is-32-characters-long' },
        )
      ).body.expires_in,
    ).toBe(120);
    expect(
      (
        await t.token(
          'acme',
          { grant_type: 'client_credentials' },
          { clientId: 'acme-web', secret: 'change-me-please-32-chars-minimum' },
        )
      ).status,
    ).toBe(401);

    const shrunk = base();
    shrunk.tenants[0].applications = [];
    shrunk.tenants[0].users = [];
    shrunk.tenants[0].resourceServers = [];
    writeFileSync(join(dir, 'shrunk.json'), JSON.stringify(shrunk));
    await apply(join(dir, 'shrunk.json'));
    expect(
      (
        await t.sql(
          `SELECT client_id FROM applications a JOIN tenants t ON t.id = a.tenant_id WHERE t.slug = 'acme' ORDER BY 1`,
        )
      ).map((r) => r.client_id),
    ).toEqual(['acme-cli', 'acme-web', 'tessera-console']);
    expect(
      await t.sql(
        `SELECT 1 FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE t.slug = 'acme' AND u.email = 'ada@acme.test'`,
      ),
    ).toHaveLength(1);
  });

  it('sets requirePushedAuthorizationRequests, and clears it once the file no longer says it', async () => {
    const required = () =>
      t.sql(
        `SELECT a.require_pushed_authorization_requests AS r FROM applications a
         JOIN tenants t ON t.id = a.tenant_id WHERE t.slug = 'acme' AND a.client_id = 'acme-web'`,
      );
    const withPar = base();
    Object.assign(withPar.tenants[0].applications[0], { requirePushedAuthorizationRequests: true });
    writeFileSync(join(dir, 'par.json'), JSON.stringify(withPar));
    expect((await apply(join(dir, 'par.json'))).updated).toContain('application acme-web');
    expect(await required()).toEqual([{ r: true }]);
    await apply(file);
    expect(await required()).toEqual([{ r: false }]);
  });
});

describe('a bootstrap file that cannot be applied', () => {
  async function startWith(content: unknown): Promise<string> {
    const path = join(dir, `bad-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    const db = await createTestDatabase();
    try {
      const started = await startTestServer(db.url, { TESSERA_BOOTSTRAP: path });
      await started.server.stop();
      return 'started';
    } catch (err) {
      return (err as Error).message;
    } finally {
      await db.drop();
    }
  }

  it('stops start-up with a message naming the field', async () => {
    const bad = base();
    (bad.tenants[0].applications[0] as { clientSecret?: string }).clientSecret = undefined;
    const message = await startWith(bad);
    expect(message).toContain('TESSERA_BOOTSTRAP');
    expect(message).toContain('tenants.0.applications.0.clientSecret');
  });

  it('refuses a private back-channel logout URI without TESSERA_ALLOW_PRIVATE_URIS', async () => {
    const bad = base();
    (bad.tenants[0].applications[0] as { backchannelLogoutUri?: string }).backchannelLogoutUri =
      'http://127.0.0.1:4000/logout';
    const message = await startWith(bad);
    expect(message).toContain('tenants[0].applications[0].backchannelLogoutUri');
    expect(message).toContain('Loopback, private and link-local addresses are not allowed');
  });

  it('refuses a built-in API as a token exchange target', async () => {
    const bad = base();
    Object.assign(bad.tenants[0].applications[0], {
      grantTypes: ['client_credentials', 'urn:ietf:params:oauth:grant-type:token-exchange'],
      tokenExchange: {
        targets: [{ resourceServer: 'urn:tessera:account', scopes: ['account:sessions:write'] }],
      },
    });
    const message = await startWith(bad);
    expect(message).toContain(
      "tenants[0].applications[0].tokenExchange.targets.0.resourceServer: urn:tessera:account is built in: no service exchanges a user's token for it",
    );
  });

  it('refuses unreadable JSON and a policy that contradicts itself', async () => {
    expect(await startWith('{ not json')).toContain('TESSERA_BOOTSTRAP: cannot read');
    const bad = base();
    bad.tenants[0].applications[0].policy.accessTokenTtl = '100d';
    expect(await startWith(bad)).toContain(
      'tenants.0.applications.0.policy.accessTokenTtl: At most 1d',
    );
    const contradictory = base();
    Object.assign(contradictory.tenants[0].applications[0].policy, {
      accessTokenTtl: '2h',
      refreshIdleTtl: '1h',
      refreshAbsoluteTtl: '1h',
    });
    expect(await startWith(contradictory)).toContain(
      'tenants[0].applications[0].policy.accessTokenTtl',
    );
  });
});
