import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { useTestServer, type TestServer } from '../support/harness';
import {
  ARTIFACTS,
  CHROMIUM_PATH,
  ensureConsoleBuilt,
  hasChromium,
  launchChromium,
} from './chromium';

const ADMIN = { email: 'root@tessera.test', password: 'an admin password for tests' };
const ORDERS_API = 'https://orders.forms.example.test';
const CALLBACK = 'http://127.0.0.1:9/cb';

const describeWithBrowser = hasChromium ? describe : describe.skip;

/**
 * Every console form follows one rule: a field's error shows once the field was changed and left
 * or a save was tried, speaks the administrator's words, goes as soon as it is resolved, and every
 * save confirms in the status line.
 */
describeWithBrowser(
  `forms of the admin console${hasChromium ? '' : ` (skipped: no Chromium at ${CHROMIUM_PATH})`}`,
  () => {
    beforeAll(() => ensureConsoleBuilt()); // before the server starts: it serves dist/admin
    const t: TestServer = useTestServer({ env: { TESSERA_ALLOW_PRIVATE_URIS: '1' } });
    let browser: Browser;
    let admin: Page;
    let slug: string;

    const shot = (name: string) =>
      admin.screenshot({ path: join(ARTIFACTS, `forms-${name}.png`), fullPage: true });
    const nav = (name: string) =>
      admin.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name }).click();
    const heading = (name: string | RegExp) =>
      admin.getByRole('heading', { level: 1, name }).waitFor();
    const isInvalid = async (field: Locator) =>
      (await field.getAttribute('aria-invalid')) === 'true';
    const api = async (method: string, path: string, body?: unknown) =>
      t.json(method, `/admin/api/tenants/${slug}${path}`, body, await t.adminToken());

    const newResourceServer = async () => {
      await nav('Resource servers');
      await heading('Resource servers');
      await admin.getByRole('link', { name: 'New resource server' }).click();
      await heading('New resource server');
    };
    const openApplication = async (name: string) => {
      await nav('Applications');
      await heading('Applications');
      await admin.getByRole('link', { name, exact: true }).click();
      await heading(name);
    };

    beforeAll(async () => {
      ({ slug } = await t.given.tenant({ name: 'Forms' }));
      await t.given.resourceServer(slug, {
        identifier: ORDERS_API,
        name: 'Orders',
        scopes: [{ name: 'orders:read', description: '' }],
      });
      await t.given.app(slug, {
        clientId: 'orders-web',
        name: 'Orders web',
        grantTypes: ['authorization_code', 'refresh_token'],
        redirectUris: [CALLBACK],
      });
      browser = await launchChromium();
      admin = await (
        await browser.newContext({ viewport: { width: 1280, height: 900 } })
      ).newPage();
      admin.setDefaultTimeout(10_000);
      await admin.goto(`${t.url}/admin/`);
      await admin.getByLabel('Tenant').fill('system');
      await admin.getByRole('button', { name: 'Sign in', exact: true }).click();
      await admin.getByLabel('Email').fill(ADMIN.email);
      await admin.getByLabel('Password').fill(ADMIN.password);
      await admin.getByRole('button', { name: /sign in/i }).click();
      await heading('Overview');
      await admin.getByLabel('Tenant').selectOption(slug);
      await admin.waitForURL(`**/admin/t/${slug}/overview`);
    }, 120_000);
    afterAll(() => browser?.close());
    // each test starts on a freshly loaded console (signed in already: the sign-in page is skipped)
    beforeEach(async () => {
      await admin.goto(`${t.url}/admin/t/${slug}/overview`);
      await heading('Overview');
    });

    it('leaves no “fix the fields” message behind a successful save, and shows it only while fields are wrong', async () => {
      await nav('Applications');
      await admin.getByRole('link', { name: 'New application' }).click();
      await heading('New application');
      const fix = admin.getByText('Fix the fields marked above to save.');
      await admin.getByLabel('Name', { exact: true }).fill('Billing web');
      await admin.getByLabel('Redirect URIs', { exact: true }).fill(CALLBACK);
      await admin.getByRole('button', { name: 'Create application' }).click();
      const dialog = admin.getByRole('dialog', { name: 'Client secret' });
      await dialog.waitFor();
      expect(await fix.count()).toBe(0);
      await dialog.getByRole('button', { name: 'I have stored it' }).click();
      await dialog.waitFor({ state: 'detached' });
      await heading('Billing web');
      expect(await fix.count()).toBe(0);

      // wrong, then right again: the message comes with the marked field and goes with it
      await admin.getByLabel('Name', { exact: true }).fill('');
      await admin.getByRole('button', { name: 'Save changes' }).click();
      await fix.waitFor();
      await admin.getByLabel('Name', { exact: true }).fill('Billing web v2');
      await fix.waitFor({ state: 'detached' });
      await admin.getByRole('button', { name: 'Save changes' }).click();
      await heading('Applications');
      expect(await fix.count()).toBe(0);
      const [app] = (await api('GET', '/applications')).body.filter(
        (a: { name: string }) => a.name === 'Billing web v2',
      );
      expect(app).toBeDefined();
    });

    it('does not mark a new row before anything is typed in it', async () => {
      await newResourceServer();
      await admin.getByRole('button', { name: 'Add scope' }).click();
      const scope1 = admin.getByLabel('Scope 1 name');
      await scope1.waitFor();
      // a second row takes the focus from the first: neither has been filled in, neither is wrong yet
      await admin.getByRole('button', { name: 'Add scope' }).click();
      const scope2 = admin.getByLabel('Scope 2 name');
      await scope2.waitFor();
      await admin.getByRole('button', { name: 'Add permission group' }).click();
      await admin.getByLabel('Group 1 name').waitFor();
      await shot('new-rows');
      expect(await isInvalid(scope1)).toBe(false);
      expect(await isInvalid(scope2)).toBe(false);
      expect(await isInvalid(admin.getByLabel('Group 1 name'))).toBe(false);
      expect(
        await admin
          .getByRole('group', { name: /^Scope \d$/ })
          .getByRole('alert')
          .count(),
      ).toBe(0);
      expect(await admin.getByText(/at least one scope/).count()).toBe(0);

      // a save attempt marks them; a row added after it waits to be filled in
      await admin.getByRole('button', { name: 'Create resource server' }).click();
      await admin.getByText('Fix the fields marked above to save.').waitFor();
      expect(await isInvalid(scope1)).toBe(true);
      await admin.getByRole('button', { name: 'Add scope' }).click();
      const scope3 = admin.getByLabel('Scope 3 name');
      await scope3.waitFor();
      expect(await isInvalid(scope3)).toBe(false);
    });

    it('says “Required” for an empty scope name, in the form and in the API', async () => {
      await newResourceServer();
      await admin.getByLabel('Identifier').fill('https://empty-scope.forms.example.test');
      await admin.getByLabel('Name', { exact: true }).fill('Empty scope');
      await admin.getByRole('button', { name: 'Add scope' }).click();
      await admin.getByRole('button', { name: 'Create resource server' }).click();
      const row = admin.getByRole('group', { name: 'Scope 1' });
      await row.getByText('Required', { exact: true }).waitFor();
      expect(await row.getByText(/printable characters/).count()).toBe(0);
      expect(await isInvalid(admin.getByLabel('Scope 1 name'))).toBe(true);
      // a name with a space is refused for what it is
      await admin.getByLabel('Scope 1 name').fill('orders read');
      await row.getByText(/Use printable characters without spaces/).waitFor();
      await admin.getByLabel('Scope 1 name').fill('orders:read');
      await row.getByRole('alert').waitFor({ state: 'detached' });

      const refused = await api('POST', '/resource-servers', {
        identifier: 'https://empty-scope-api.forms.example.test',
        name: 'Empty scope',
        scopes: [{ name: '', description: '' }],
      });
      expect(refused.status).toBe(400);
      expect(refused.body.errors).toEqual([{ pointer: '/scopes/0/name', detail: 'Required' }]);
    });

    it('takes a group’s message away as soon as one of its scopes is ticked', async () => {
      await newResourceServer();
      await admin.getByLabel('Identifier').fill('https://groups.forms.example.test');
      await admin.getByLabel('Name', { exact: true }).fill('Groups');
      await admin.getByRole('button', { name: 'Add scope' }).click();
      await admin.getByLabel('Scope 1 name').fill('orders:read');
      await admin.getByRole('button', { name: 'Add permission group' }).click();
      await admin.getByLabel('Group 1 name').fill('clerk');
      const group = admin.getByRole('group', { name: 'Permission group 1' });
      const scopes = admin.getByRole('group', { name: 'Scopes of group 1' });
      await scopes.getByText('orders:read').click();
      expect(await group.getByText(/at least one scope/).count()).toBe(0);

      // unticked and saved: refused, with the reason; ticked again: the reason goes at once
      await scopes.getByText('orders:read').click();
      await admin.getByRole('button', { name: 'Create resource server' }).click();
      await group.getByText(/at least one scope/).waitFor();
      await scopes.getByText('orders:read').click();
      await group.getByText(/at least one scope/).waitFor({ state: 'detached' });
      await shot('group-ticked');
      await admin.getByRole('button', { name: 'Create resource server' }).click();
      await heading('Resource servers');
      const [rs] = await t.sql(
        `SELECT permission_groups FROM resource_servers WHERE identifier = $1`,
        ['https://groups.forms.example.test'],
      );
      expect(rs.permission_groups).toEqual([{ name: 'clerk', scopes: ['orders:read'] }]);
    });

    it('speaks in the fields’ labels and the administrator’s words, never in internal names', async () => {
      const internal =
        /[a-z]+Ttl\b|reuseGraceSeconds|onReuse|revoke-session|revoke-family|grantTypes|redirectUris|authorization_code needs/;
      await nav('Applications');
      await admin.getByRole('link', { name: 'New application' }).click();
      await heading('New application');
      const form = admin.locator('form');
      expect(await form.innerText()).not.toMatch(internal);
      await admin.getByLabel('Name', { exact: true }).fill('Words web');
      await admin.getByLabel('Refresh token absolute lifetime').fill('30d');
      await admin.getByLabel('Session absolute lifetime').fill('20d');
      await admin.getByRole('button', { name: 'Create application' }).click();
      await admin.getByText(/Must not be longer than the session absolute lifetime/).waitFor();
      await admin.getByText('Sign-in needs at least one redirect URI').waitFor();
      await shot('words');
      expect(await form.innerText()).not.toMatch(internal);

      // the API says the same, with the field in its pointer
      const refused = await api('POST', '/applications', {
        name: 'Words web',
        type: 'confidential',
        grantTypes: ['client_credentials'],
        policy: { refreshAbsoluteTtl: '30d', sessionAbsoluteTtl: '20d' },
      });
      expect(refused.status).toBe(400);
      expect(refused.body.errors).toEqual([
        {
          pointer: '/policy/refreshAbsoluteTtl',
          detail: expect.stringMatching(/^Must not be longer than the session absolute lifetime/),
        },
      ]);
      expect(refused.body.errors[0].detail).not.toMatch(internal);
    });

    it('disables the rotation’s own settings while rotation is off, and says why', async () => {
      await openApplication('Orders web');
      const grace = admin.getByLabel('Reuse grace (seconds)');
      const onReuse = admin.getByLabel('When a used refresh token comes back');
      expect(await grace.isEnabled()).toBe(true);
      expect(await onReuse.isEnabled()).toBe(true);
      await admin.getByLabel('Refresh token rotation').selectOption('off');
      await admin.getByText('Applies only while refresh token rotation is on.').first().waitFor();
      await shot('rotation-off');
      expect(await grace.isDisabled()).toBe(true);
      expect(await onReuse.isDisabled()).toBe(true);
      await admin.getByLabel('Refresh token rotation').selectOption('on');
      expect(await grace.isEnabled()).toBe(true);
      expect(await onReuse.isEnabled()).toBe(true);
    });

    it('confirms every save in the status line', async () => {
      const saved = (text: string) => admin.getByRole('status').filter({ hasText: text });

      await openApplication('Orders web');
      await admin.getByLabel('Name', { exact: true }).fill('Orders web (EU)');
      await admin.getByRole('button', { name: 'Save changes' }).click();
      await saved('Saved “Orders web (EU)”').waitFor();
      await shot('saved');
      const app = await api('GET', '/applications/orders-web');
      expect(app.body.name).toBe('Orders web (EU)');

      await nav('Resource servers');
      await admin.getByRole('link', { name: 'Orders', exact: true }).click();
      await heading('Orders');
      await admin.getByLabel('Scope 1 description').fill('Read orders');
      await admin.getByRole('button', { name: 'Save changes' }).click();
      await saved('Saved “Orders”').waitFor();

      await nav('Users');
      await heading('Users');
      await admin.getByRole('button', { name: 'New user' }).click();
      const dialog = admin.getByRole('dialog', { name: 'New user' });
      await dialog.getByRole('textbox', { name: 'Email' }).fill('ada@forms.example.test');
      await dialog.getByLabel('Initial password').fill('a long enough password');
      await dialog.getByRole('button', { name: 'Create user' }).click();
      await dialog.waitFor({ state: 'detached' });
      await saved('Created ada@forms.example.test').waitFor();
      const [user] = await t.sql(
        `SELECT u.email FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE t.slug = $1 AND u.email = $2`,
        [slug, 'ada@forms.example.test'],
      );
      expect(user).toBeDefined();
    });
  },
);
