import { BootstrapService } from '../../src/bootstrap';
import { consoleSignIn, useTestServer, type TestServer } from '../support/harness';

const ATTACKER_PASSWORD = 'chosen by acme’s administrator';
const BOBS_PASSWORD = 'bob’s own password at beta';

/** A console sign-in that the sign-in page refuses shows its form again (401): the harness throws. */
async function consoleSignInFails(t: TestServer, slug: string, email: string, password: string) {
  await expect(consoleSignIn(t, slug, email, password)).rejects.toThrow(/^sign-in: 401 /);
}

/**
 * No identity is shared across tenants by an email address: a tenant's administrators are its own
 * users, signing in at its own issuer. The attack: acme's administrator names
 * `bob@beta.test` as an administrator (with a password of their choosing), drops the role again,
 * and waits for beta to make the real bob its administrator; then signs in as bob.
 */
describe('the tenant boundary: administrators of one tenant', () => {
  const t = useTestServer();

  /** Bob's real credentials administer beta and nothing else does; nothing of bob exists elsewhere. */
  async function expectOnlyBobsCredentialsOpenBeta(acme: string, beta: string) {
    // the attacker's password opens beta nowhere: not at beta, not at system
    await consoleSignInFails(t, beta, 'bob@beta.test', ATTACKER_PASSWORD);
    await consoleSignInFails(t, 'system', 'bob@beta.test', ATTACKER_PASSWORD);
    // at acme the attacker signs in as acme's own user named bob, which administers nothing now
    const atAcme = await consoleSignIn(t, acme, 'bob@beta.test', ATTACKER_PASSWORD);
    expect((await t.get('/admin/api/tenants', atAcme.access_token)).status).toBe(403); // no admin scopes
    for (const path of [`/admin/api/tenants/${beta}`, `/admin/api/tenants/${beta}/users`])
      expect((await t.get(path, atAcme.access_token)).status).toBe(403);
    // bob's own password does, for beta only
    const bob = await consoleSignIn(t, beta, 'bob@beta.test', BOBS_PASSWORD);
    const tenants = await t.get('/admin/api/tenants', bob.access_token);
    expect(tenants.body.map((x: { slug: string }) => x.slug)).toEqual([beta]);
    expect((await t.get(`/admin/api/tenants/${beta}/users`, bob.access_token)).status).toBe(200);
    expect((await t.get(`/admin/api/tenants/${acme}`, bob.access_token)).status).toBe(404);
    // beta's administrators are beta's users; acme's bob and a system bob are nobody there
    const admins = await t.sql(
      `SELECT u.email, ut.slug AS "userTenant" FROM tenant_admins ta
       JOIN tenants t ON t.id = ta.tenant_id
       LEFT JOIN users u ON u.id::text = ta.subject LEFT JOIN tenants ut ON ut.id = u.tenant_id
       WHERE t.slug = $1`,
      [beta],
    );
    expect(admins).toEqual([{ email: 'bob@beta.test', userTenant: beta }]);
    expect(
      await t.sql(
        `SELECT t.slug FROM users u JOIN tenants t ON t.id = u.tenant_id
         WHERE u.email = 'bob@beta.test' AND t.slug IN ($1, $2, 'system') ORDER BY t.slug = $2`,
        [acme, beta],
      ),
    ).toEqual([{ slug: acme }, { slug: beta }]);
  }

  it('keeps acme’s administrator out of beta when beta later makes bob its administrator through the admin API', async () => {
    const { slug: acme } = await t.given.tenant();
    const { slug: beta } = await t.given.tenant();
    const attacker = await t.given.tenantAdmin(acme);
    const token = attacker.tokens.access_token;
    // 1. acme's administrator names bob@beta.test an administrator, with a password they chose
    const created = await t.json(
      'POST',
      `/admin/api/tenants/${acme}/users`,
      { email: 'bob@beta.test', password: ATTACKER_PASSWORD, roles: ['admin'] },
      token,
    );
    expect(created.status).toBe(201);
    // … and drops the role again
    const dropped = await t.json(
      'PATCH',
      `/admin/api/tenants/${acme}/users/${created.body.id}`,
      { roles: [] },
      token,
    );
    expect(dropped.status).toBe(200);
    // 2. the root administrator makes the real bob an administrator of beta
    const bob = await t.json(
      'POST',
      `/admin/api/tenants/${beta}/users`,
      { email: 'bob@beta.test', password: BOBS_PASSWORD, roles: ['admin'] },
      await t.adminToken(),
    );
    expect(bob.status).toBe(201);
    // 3. the attacker tries to sign in as bob
    await expectOnlyBobsCredentialsOpenBeta(acme, beta);
  });

  it('keeps acme’s administrator out of beta when beta’s bootstrap file makes bob its administrator', async () => {
    const { slug: acme } = await t.given.tenant();
    const beta = `beta-${acme.slice(2, 40)}`;
    const attacker = await t.given.tenantAdmin(acme);
    const created = await t.json(
      'POST',
      `/admin/api/tenants/${acme}/users`,
      { email: 'bob@beta.test', password: ATTACKER_PASSWORD, roles: ['admin'] },
      attacker.tokens.access_token,
    );
    expect(created.status).toBe(201);
    await t.json(
      'PATCH',
      `/admin/api/tenants/${acme}/users/${created.body.id}`,
      { roles: [] },
      attacker.tokens.access_token,
    );
    // what `npm start` applies from TESSERA_BOOTSTRAP
    await t.server.app.get(BootstrapService).apply({
      tenants: [
        {
          slug: beta,
          name: 'Beta',
          applications: [],
          resourceServers: [],
          users: [
            { email: 'bob@beta.test', password: BOBS_PASSWORD, roles: ['admin'], permissions: [] },
          ],
        },
      ],
    });
    await expectOnlyBobsCredentialsOpenBeta(acme, beta);
  });

  it('takes an administrator away for good, even while they change their own password at that moment', async () => {
    const { slug } = await t.given.tenant();
    const admin = await t.given.tenantAdmin(slug);
    const root = await t.adminToken();
    const path = `/admin/api/tenants/${slug}/users/${admin.id}`;
    for (let round = 0; round < 5; round++) {
      const password = `a new password, round ${round}`;
      // the administrator's own change (a slow hash) is under way when root takes the role away
      const own = t.json('PATCH', path, { password }, admin.tokens.access_token);
      await new Promise((r) => setTimeout(r, 5));
      const demoted = await t.json('PATCH', path, { roles: [] }, root);
      expect([(await own).status, demoted.status]).toEqual([200, 200]);
      expect(await t.sql(`SELECT 1 FROM tenant_admins WHERE subject = $1`, [admin.id])).toEqual([]);
      const again = await consoleSignIn(t, slug, admin.email, password);
      expect((await t.get(`/admin/api/tenants/${slug}/users`, again.access_token)).status).toBe(
        403,
      );
      // an administrator again for the next round
      expect((await t.json('PATCH', path, { roles: ['admin'] }, root)).status).toBe(200);
      admin.tokens = await consoleSignIn(t, slug, admin.email, password);
    }
  });

  it('keeps an administrator whom a bootstrap file lists without the role: the file deletes nothing, and says so', async () => {
    const { slug } = await t.given.tenant();
    const admin = await t.given.user(slug, { roles: ['admin'] });
    await t.server.app.get(BootstrapService).apply({
      tenants: [
        {
          slug,
          name: 'Listed again',
          applications: [],
          resourceServers: [],
          users: [{ email: admin.email, password: admin.password, roles: [], permissions: [] }],
        },
      ],
    });
    const root = await t.adminToken();
    // what the API shows is what holds: still an administrator
    expect((await t.get(`/admin/api/tenants/${slug}/users/${admin.id}`, root)).body.roles).toEqual([
      'admin',
    ]);
    const signedIn = await consoleSignIn(t, slug, admin.email, admin.password);
    expect((await t.get(`/admin/api/tenants/${slug}/users`, signedIn.access_token)).status).toBe(
      200,
    );
  });

  it('keeps two tenants’ administrators with one email apart: each password opens its own tenant only', async () => {
    const { slug: one } = await t.given.tenant();
    const { slug: two } = await t.given.tenant();
    const email = 'shared-admin@example.test';
    await t.given.user(one, { email, password: 'the password at one', roles: ['admin'] });
    await t.given.user(two, { email, password: 'the password at two', roles: ['admin'] });
    const atOne = await consoleSignIn(t, one, email, 'the password at one');
    const atTwo = await consoleSignIn(t, two, email, 'the password at two');
    await consoleSignInFails(t, one, email, 'the password at two');
    await consoleSignInFails(t, two, email, 'the password at one');
    for (const [token, own, other] of [
      [atOne.access_token, one, two],
      [atTwo.access_token, two, one],
    ]) {
      const list = await t.get('/admin/api/tenants', token);
      expect(list.body.map((x: { slug: string }) => x.slug)).toEqual([own]);
      expect((await t.get(`/admin/api/tenants/${other}/users`, token)).status).toBe(404);
    }
  });
});
