import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { consoleSignIn, send, useTestServer, type TestServer } from '../support/harness';
import {
  ARTIFACTS,
  CHROMIUM_PATH,
  ensureConsoleBuilt,
  hasChromium,
  launchChromium,
} from './chromium';

const ROOT = { email: 'root@tessera.test', password: 'an admin password for tests' };
const WIDE = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

/** A slug no other test of the run uses. */
const unique = (prefix: string) => `${prefix}-${Math.random().toString(36).slice(2, 8)}`;

const describeWithBrowser = hasChromium ? describe : describe.skip;

/**
 * Tenants as a root administrator runs them from the console (create, open, delete), and the
 * settings every administrator of a tenant has: its name, default policy, rate limits and who
 * administers it.
 */
describeWithBrowser(
  `tenants in the admin console, in Chromium${hasChromium ? '' : ` (skipped: no Chromium at ${CHROMIUM_PATH})`}`,
  () => {
    beforeAll(() => ensureConsoleBuilt()); // before the server starts: it serves dist/admin
    const t: TestServer = useTestServer({ env: { TESSERA_ALLOW_PRIVATE_URIS: '1' } });
    let browser: Browser;
    let ctx: BrowserContext;
    let admin: Page;

    const shot = (name: string) =>
      admin.screenshot({ path: join(ARTIFACTS, `tenants-${name}.png`), fullPage: true });
    const nav = (name: string) =>
      admin.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name }).click();
    const heading = (name: string | RegExp) =>
      admin.getByRole('heading', { level: 1, name }).waitFor();
    const tenantCard = (name: string) => admin.getByRole('article', { name });
    const api = async (path: string) => (await t.get(path, await t.adminToken())).body;

    /** Every button and link of the page lies within the viewport's width: nothing is clipped. */
    const expectWithinViewport = async (width: number) => {
      const main = admin.getByRole('main');
      const controls = [
        ...(await main.getByRole('button').all()),
        ...(await main.getByRole('link').all()),
      ];
      expect(controls.length).toBeGreaterThan(0);
      const outside: string[] = [];
      for (const c of controls) {
        const box = await c.boundingBox();
        if (box && (box.x < 0 || box.x + box.width > width + 0.5))
          outside.push(`${await c.textContent()} at x = ${box.x}–${box.x + box.width}`);
      }
      expect(outside).toEqual([]);
      // nothing pushes the page sideways either
      const scrollWidth = await admin.evaluate<number>('document.documentElement.scrollWidth');
      expect(scrollWidth).toBeLessThanOrEqual(width);
    };
    /** The screen at 1280 px and at 390 px: screenshots, and every control within reach. */
    const atBothWidths = async (name: string) => {
      await expectWithinViewport(WIDE.width);
      await shot(`${name}-1280px`);
      await admin.setViewportSize(PHONE);
      await expectWithinViewport(PHONE.width);
      await shot(`${name}-390px`);
      await admin.setViewportSize(WIDE);
    };

    beforeAll(async () => {
      browser = await launchChromium();
      ctx = await browser.newContext({ viewport: WIDE });
      admin = await ctx.newPage();
      admin.setDefaultTimeout(10_000);
      await t.given.tenant({ name: 'Globex' }); // the root administrator has a tenant to start in
    }, 120_000);

    afterAll(async () => {
      await ctx?.close();
      await browser?.close();
    });

    it('signs the root administrator in, whose navigation offers Tenants', async () => {
      await admin.goto(`${t.url}/admin/`);
      await admin.getByLabel('Tenant').fill('system');
      await admin.getByRole('button', { name: 'Sign in', exact: true }).click();
      await admin.waitForURL('**/t/system/authorize?**');
      await admin.getByLabel('Email').fill(ROOT.email);
      await admin.getByLabel('Password').fill(ROOT.password);
      await admin.getByRole('button', { name: /sign in/i }).click();
      await heading('Overview');
      await nav('Tenants');
      await heading('Tenants');
      await tenantCard('Globex').waitFor();
      // the system tenant is listed, and cannot be deleted
      const system = tenantCard('Tessera system');
      await system.getByText(/cannot be deleted/).waitFor();
      expect(await system.getByRole('button', { name: /Delete/ }).count()).toBe(0);
      await atBothWidths('list');
    });

    let slug: string;
    it('creates a tenant entirely in the console: it is listed and in the tenant switcher', async () => {
      slug = unique('acme');
      await admin.getByRole('link', { name: 'New tenant' }).click();
      await heading('New tenant');
      // nothing is marked before it is touched; a wrong slug is explained once it is left
      expect(await admin.getByText('Required').count()).toBe(0);
      await admin.getByLabel('Slug').fill('Acme Corp');
      await admin.getByLabel('Display name').focus();
      await admin.getByText('Use 1–63 lower-case letters, digits and hyphens, e.g. acme').waitFor();
      await admin.getByLabel('Slug').fill(slug);
      await admin
        .getByText('Use 1–63 lower-case letters, digits and hyphens, e.g. acme')
        .waitFor({ state: 'detached' });
      // submitting without a name says what is missing
      await admin.getByRole('button', { name: 'Create tenant' }).click();
      await admin.getByText('Required').waitFor();
      await admin.getByLabel('Display name').fill('Acme Corp');
      await admin.getByText('Required').waitFor({ state: 'detached' });
      await admin.getByLabel('Signing algorithm').selectOption('EdDSA');
      await atBothWidths('new');
      await admin.getByRole('button', { name: 'Create tenant' }).click();
      await heading('Settings');
      await admin
        .getByRole('status')
        .filter({ hasText: `Created Acme Corp (${slug})` })
        .waitFor();
      expect(admin.url()).toContain(`/admin/t/${slug}/settings`);
      // its issuer and discovery URL, to give an integrator
      await admin.getByText(`${t.url}/t/${slug}/.well-known/openid-configuration`).waitFor();
      expect(await api(`/admin/api/tenants/${slug}`)).toMatchObject({
        slug,
        name: 'Acme Corp',
        signingAlg: 'EdDSA',
        issuer: `${t.url}/t/${slug}`,
      });
      const discovery = await t.get(`/t/${slug}/.well-known/openid-configuration`);
      expect(discovery.status).toBe(200);
      expect(discovery.body.issuer).toBe(`${t.url}/t/${slug}`);
      // in the switcher, which is on it now
      const switcher = admin.getByRole('combobox', { name: 'Tenant' });
      expect(await switcher.inputValue()).toBe(slug);
      await switcher.getByRole('option', { name: `Acme Corp (${slug})` }).waitFor({
        state: 'attached',
      });
      // and in the list
      await nav('Tenants');
      await tenantCard('Acme Corp').getByText(`${t.url}/t/${slug}`, { exact: true }).waitFor();
    });

    it('creates the new tenant’s first application in the console, whose panel gives its discovery URL', async () => {
      await admin.getByRole('combobox', { name: 'Tenant' }).selectOption(slug);
      await admin.waitForURL(`**/admin/t/${slug}/overview`);
      await nav('Applications');
      await heading('Applications');
      await admin.getByRole('link', { name: 'New application' }).click();
      await heading('New application');
      await admin.getByLabel('Name', { exact: true }).fill('Acme web');
      await admin.getByLabel('Client ID').fill('acme-web');
      await admin.getByLabel('Redirect URIs', { exact: true }).fill('https://acme.example.test/cb');
      await admin.getByRole('button', { name: 'Create application' }).click();
      const dialog = admin.getByRole('dialog', { name: 'Client secret' });
      await dialog.waitFor();
      await dialog.getByRole('button', { name: 'I have stored it' }).click();
      await heading('Acme web');
      const app = await api(`/admin/api/tenants/${slug}/applications/acme-web`);
      expect(app).toMatchObject({
        clientId: 'acme-web',
        redirectUris: ['https://acme.example.test/cb'],
      });
      // and the integrator's first question: where is the new tenant's discovery document
      const panel = admin.getByRole('region', { name: 'Integration', exact: true });
      const fact = (label: string) =>
        panel
          .getByRole('row')
          .filter({ has: admin.getByRole('rowheader', { name: label, exact: true }) })
          .getByRole('cell');
      const discoveryUrl = `${t.url}/t/${slug}/.well-known/openid-configuration`;
      expect(await fact('Discovery URL').textContent()).toBe(discoveryUrl);
      expect(await fact('Client ID').textContent()).toBe('acme-web');
      const discovery = await send(discoveryUrl);
      expect(discovery.status).toBe(200);
      expect(discovery.body.issuer).toBe(await fact('Issuer').textContent());
    });

    it('offers to create a tenant that does not exist, with its slug filled in', async () => {
      const missing = unique('initech');
      await admin.goto(`${t.url}/admin/t/${missing}/overview`);
      await admin.getByText(`There is no tenant called “${missing}”`).waitFor();
      expect(await admin.getByText(/do not administer|does not administer/).count()).toBe(0);
      await shot('missing');
      await admin.getByRole('button', { name: `Create tenant “${missing}”` }).click();
      await heading('New tenant');
      expect(await admin.getByLabel('Slug').inputValue()).toBe(missing);
      await admin.getByLabel('Display name').fill('Initech');
      await admin.getByRole('button', { name: 'Create tenant' }).click();
      await heading('Settings');
      expect(admin.url()).toContain(`/admin/t/${missing}/settings`);
      expect((await api(`/admin/api/tenants/${missing}`)).name).toBe('Initech');
    });

    it('changes the display name, a default lifetime and a rate limit, confirms, and keeps them', async () => {
      await admin.goto(`${t.url}/admin/t/${slug}/settings`);
      await heading('Settings');
      const name = admin.getByLabel('Display name');
      await name.fill('');
      await admin.getByLabel('Access token lifetime').focus();
      await admin.getByText('Required').waitFor();
      await name.fill('Acme Corporation');
      await admin.getByText('Required').waitFor({ state: 'detached' });
      await admin.getByLabel('Access token lifetime').fill('10m');
      await admin
        .getByText(/refused by feed-following APIs within ~1 s, by others after at most 10 minutes/)
        .waitFor();
      const perAccount = admin.getByRole('group', { name: 'Failed sign-ins, per account' });
      await perAccount.getByLabel('Failures allowed').fill('7');
      await atBothWidths('settings');
      await admin.getByRole('button', { name: 'Save settings' }).click();
      await admin
        .getByRole('status')
        .filter({ hasText: 'Saved the settings of Acme Corporation.' })
        .waitFor();
      // the server holds it: only the changed rate limit was set, the others follow the defaults
      const held = await api(`/admin/api/tenants/${slug}`);
      expect(held.name).toBe('Acme Corporation');
      expect(held.policy.accessTokenTtl).toBe('10m');
      expect(held.rateLimits.signInAccount.limit).toBe(7);
      const [row] = await t.sql(`SELECT rate_limits FROM tenants WHERE slug = $1`, [slug]);
      expect(Object.keys(row.rate_limits)).toEqual(['signInAccount']);
      // the switcher says the new name
      await admin
        .getByRole('combobox', { name: 'Tenant' })
        .getByRole('option', { name: `Acme Corporation (${slug})` })
        .waitFor({ state: 'attached' });
      // editing again takes the confirmation away
      await admin.getByLabel('Session idle lifetime').fill('7d');
      expect(await admin.getByText('Saved the settings of Acme Corporation.').count()).toBe(0);
      await admin.reload();
      await heading('Settings');
      expect(await admin.getByLabel('Display name').inputValue()).toBe('Acme Corporation');
      expect(await admin.getByLabel('Access token lifetime').inputValue()).toBe('10m');
      expect(await admin.getByLabel('Session idle lifetime').inputValue()).toBe('14d');
      expect(
        await admin
          .getByRole('group', { name: 'Failed sign-ins, per account' })
          .getByLabel('Failures allowed')
          .inputValue(),
      ).toBe('7');
    });

    it('refuses a policy whose refresh tokens would outlive their session, next to the field', async () => {
      await admin.getByLabel('Refresh token absolute lifetime').fill('200d');
      await admin.getByRole('button', { name: 'Save settings' }).click();
      await admin.getByText(/Must not be longer than the session absolute lifetime/).waitFor();
      await admin.getByLabel('Refresh token absolute lifetime').fill('30d');
      await admin
        .getByText(/Must not be longer than the session absolute lifetime/)
        .waitFor({ state: 'detached' });
      expect((await api(`/admin/api/tenants/${slug}`)).policy.refreshAbsoluteTtl).toBe('90d');
    });

    it('makes an existing user and a new one administrators, names them by email, and removes one', async () => {
      const ada = await t.given.user(slug, { email: `ada@${slug}.test` });
      const other = await t.given.tenant({ name: 'Other' });
      const stranger = await t.given.user(other.slug, { email: `eve@${other.slug}.test` });
      await admin.goto(`${t.url}/admin/t/${slug}/settings`);
      await heading('Settings');
      const admins = admin.getByRole('list', { name: 'Administrators of Acme Corporation' });
      await admin.getByText(/Nobody of Acme Corporation administers it yet/).waitFor();
      const email = admin.getByLabel('Email of the new administrator');
      const password = admin.getByLabel('Initial password (only for a new account)');
      const make = admin.getByRole('button', { name: 'Make administrator' });

      await email.fill(ada.email);
      await make.click();
      await admin
        .getByRole('status')
        .filter({ hasText: `${ada.email} is now an administrator of Acme Corporation.` })
        .waitFor();
      await admins.getByRole('listitem', { name: ada.email }).waitFor();

      // someone of another tenant is not found here: they would need an account of this tenant
      await email.fill(stranger.email);
      await make.click();
      await admin.getByText(`${stranger.email} has no account in Acme Corporation yet`).waitFor();
      expect(await admins.getByRole('listitem').count()).toBe(1);

      const bob = `bob@${slug}.test`;
      await email.fill(bob);
      await password.fill('bob’s initial password');
      await admin
        .getByText(/has no account in Acme Corporation yet/)
        .waitFor({ state: 'detached' });
      await make.click();
      await admin
        .getByRole('status')
        .filter({ hasText: `Created ${bob} in Acme Corporation as an administrator.` })
        .waitFor();
      await admins.getByRole('listitem', { name: bob }).waitFor();
      await shot('admins');

      const listed = await api(`/admin/api/tenants/${slug}/admins`);
      expect(listed).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ subject: ada.id, kind: 'user', name: ada.email }),
          expect.objectContaining({ kind: 'user', name: bob }),
        ]),
      );
      expect(listed).toHaveLength(2);
      // nobody of another tenant, and bob's account is this tenant's
      const rows = await t.sql(
        `SELECT t.slug, u.roles FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE u.email = ANY($1)`,
        [[bob, stranger.email]],
      );
      expect(rows).toEqual(
        expect.arrayContaining([
          { slug, roles: ['admin'] },
          { slug: other.slug, roles: [] },
        ]),
      );

      await admins
        .getByRole('listitem', { name: ada.email })
        .getByRole('button', { name: `Remove ${ada.email}` })
        .click();
      const confirm = admin.getByRole('alertdialog', {
        name: `Remove ${ada.email} as an administrator?`,
      });
      await confirm.getByText(/can no longer administer Acme Corporation/).waitFor();
      await confirm.getByRole('button', { name: 'Remove administrator' }).click();
      await admin
        .getByRole('status')
        .filter({ hasText: `${ada.email} no longer administers Acme Corporation.` })
        .waitFor();
      await admins.getByRole('listitem', { name: ada.email }).waitFor({ state: 'detached' });
      const after = await api(`/admin/api/tenants/${slug}/admins`);
      expect(after.map((a: { name: string }) => a.name)).toEqual([bob]);
      expect((await api(`/admin/api/tenants/${slug}/users/${ada.id}`)).roles).toEqual([]);
    });

    it('does not let the root administrator remove themselves as the system tenant’s last', async () => {
      await admin.goto(`${t.url}/admin/t/system/settings`);
      await heading('Settings');
      const me = admin
        .getByRole('list', { name: /^Administrators of / })
        .getByRole('listitem', { name: ROOT.email });
      await me.getByText('You are its only administrator').waitFor();
      expect(await me.getByRole('button').count()).toBe(0);
    });

    it('deletes a tenant after its slug is typed, saying what ends; its issuer is gone', async () => {
      const doomed = await t.given.tenant({ name: 'Doomed' });
      await nav('Tenants');
      await heading('Tenants');
      await tenantCard('Doomed').getByRole('button', { name: 'Delete Doomed' }).click();
      const dialog = admin.getByRole('alertdialog', { name: `Delete Doomed (${doomed.slug})?` });
      await dialog.getByText(/stops answering/).waitFor();
      await dialog.getByText(/Every session of its users ends/).waitFor();
      await dialog.getByText(/back-channel logout/).waitFor();
      await dialog
        .getByText(/applications, users, resource servers and signing keys are gone/)
        .waitFor();
      await atBothWidthsOf(dialog);
      await dialog.getByRole('button', { name: 'Delete tenant' }).click();
      await dialog.getByText(`Type the slug, ${doomed.slug}, to delete this tenant`).waitFor();
      expect((await t.get(`/t/${doomed.slug}/.well-known/openid-configuration`)).status).toBe(200);
      // the refusal puts the keyboard in the field, and Enter confirms
      await admin.keyboard.type(doomed.slug);
      expect(await dialog.getByLabel(`Type ${doomed.slug} to confirm`).inputValue()).toBe(
        doomed.slug,
      );
      await admin.keyboard.press('Enter');
      await admin
        .getByRole('status')
        .filter({ hasText: `Deleted Doomed (${doomed.slug}): its issuer no longer answers.` })
        .waitFor();
      await tenantCard('Doomed').waitFor({ state: 'detached' });
      expect((await t.get(`/t/${doomed.slug}/.well-known/openid-configuration`)).status).toBe(404);
      expect((await t.get(`/admin/api/tenants/${doomed.slug}`, await t.adminToken())).status).toBe(
        404,
      );
    });

    /** The open dialog at both widths: its buttons within the viewport. */
    async function atBothWidthsOf(dialog: Locator) {
      for (const size of [WIDE, PHONE]) {
        await admin.setViewportSize(size);
        for (const b of await dialog.getByRole('button').all()) {
          const box = (await b.boundingBox())!;
          expect(box.x).toBeGreaterThanOrEqual(0);
          expect(box.x + box.width).toBeLessThanOrEqual(size.width);
        }
        await shot(`delete-dialog-${size.width}px`);
      }
      await admin.setViewportSize(WIDE);
    }
  },
);

describe('removing oneself as a tenant’s administrator', () => {
  const t: TestServer = useTestServer();

  it('is refused while nobody else administers the tenant, and allowed once someone does', async () => {
    const { slug } = await t.given.tenant({ name: 'Solo' });
    const ada = await t.given.user(slug, { roles: ['admin'] });
    const { access_token: token } = await consoleSignIn(t, slug, ada.email, ada.password);
    const refused = await t.json(
      'DELETE',
      `/admin/api/tenants/${slug}/admins/${ada.id}`,
      {},
      token,
    );
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toMatch(/only administrator of this tenant/);
    const colleague = await t.given.user(slug);
    expect(
      (await t.json('PUT', `/admin/api/tenants/${slug}/admins`, { subject: colleague.id }, token))
        .status,
    ).toBe(204);
    const removed = await t.json(
      'DELETE',
      `/admin/api/tenants/${slug}/admins/${ada.id}`,
      {},
      token,
    );
    expect(removed.status).toBe(204);
    const admins = await t.get(`/admin/api/tenants/${slug}/admins`, await t.adminToken());
    expect(admins.body).toEqual([
      expect.objectContaining({ subject: colleague.id, kind: 'user', name: colleague.email }),
    ]);
  });
});
