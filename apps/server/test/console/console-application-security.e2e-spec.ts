import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { TOKEN_EXCHANGE_GRANT } from '@tessera/contracts';
import { Browser as HttpBrowser, pkce, useTestServer, type TestServer } from '../support/harness';
import {
  ARTIFACTS,
  CHROMIUM_PATH,
  ensureConsoleBuilt,
  hasChromium,
  launchChromium,
} from './chromium';

const ADMIN = { email: 'root@tessera.test', password: 'an admin password for tests' };
const INVENTORY = 'https://inventory.security.example.test';
const CALLBACK = 'http://127.0.0.1:9/cb';

const describeWithBrowser = hasChromium ? describe : describe.skip;

/**
 * The security settings of an application (DPoP, PAR, the token-exchange policy) as an
 * administrator sets them in the console: what the form saves is what the admin API shows, what a
 * reload shows, and what the token and authorization endpoints then enforce.
 */
describeWithBrowser(
  `security settings of an application in the admin console${hasChromium ? '' : ` (skipped: no Chromium at ${CHROMIUM_PATH})`}`,
  () => {
    beforeAll(() => ensureConsoleBuilt()); // before the server starts: it serves dist/admin
    const t: TestServer = useTestServer({ env: { TESSERA_ALLOW_PRIVATE_URIS: '1' } });
    let browser: Browser;
    let admin: Page;
    let slug: string;
    let inventoryId: string;
    let reporting: { clientId: string; secret: string };
    let shop: { clientId: string; secret: string };
    let orders: { clientId: string; secret: string };

    const shot = (name: string) =>
      admin.screenshot({
        path: join(ARTIFACTS, `application-security-${name}.png`),
        fullPage: true,
      });
    const heading = (name: string | RegExp) =>
      admin.getByRole('heading', { level: 1, name }).waitFor();
    const api = async (method: string, path: string, body?: unknown) =>
      t.json(method, `/admin/api/tenants/${slug}${path}`, body, await t.adminToken());
    const application = async (clientId: string) => {
      const res = await api('GET', `/applications/${clientId}`);
      expect(res.status).toBe(200);
      return res.body;
    };
    const checkbox = (name: string, within: Page | Locator = admin) =>
      within.getByRole('checkbox', { name, exact: true });
    const isFocused = (l: Locator) => l.evaluate((el) => el === el.ownerDocument.activeElement);
    /** Presses Tab until the element has the focus, a few times at most. */
    const tabTo = async (l: Locator) => {
      for (let i = 0; i < 6 && !(await isFocused(l)); i++) await admin.keyboard.press('Tab');
      return isFocused(l);
    };
    /** Ticks or unticks a checkbox as a pointer does: on its label (the input itself is hidden). */
    const click = (box: Locator) => box.locator('xpath=ancestor::label[1]').click();
    /** The editor as loaded from the server, not from the console's cache. */
    const openApplication = async (clientId: string, name: string) => {
      await admin.goto(`${t.url}/admin/t/${slug}/applications/${clientId}`);
      await heading(name);
    };
    const save = async (name: string) => {
      await admin.getByRole('button', { name: 'Save changes' }).click();
      await admin
        .getByRole('status')
        .filter({ hasText: `Saved “${name}”` })
        .waitFor();
      await heading('Applications');
    };
    const plainAuthorize = () => {
      const q = new URLSearchParams({
        response_type: 'code',
        client_id: shop.clientId,
        redirect_uri: CALLBACK,
        state: 's-1',
        code_challenge: pkce().challenge,
        code_challenge_method: 'S256',
      });
      return new HttpBrowser().get(`${t.issuer(slug)}/authorize?${q}`);
    };

    beforeAll(async () => {
      ({ slug } = await t.given.tenant({ name: 'Application security' }));
      ({ id: inventoryId } = await t.given.resourceServer(slug, {
        identifier: INVENTORY,
        name: 'Inventory',
        scopes: [
          { name: 'inventory:read', description: '' },
          { name: 'inventory:write', description: '' },
        ],
      }));
      reporting = await t.given.app(slug, {
        clientId: 'reporting-job',
        name: 'Reporting job',
        grantTypes: ['client_credentials'],
        grants: [
          { resourceServer: INVENTORY, scopes: ['inventory:read'], flows: ['client_credentials'] },
        ],
      });
      shop = await t.given.app(slug, {
        clientId: 'shop-web',
        name: 'Shop web',
        grantTypes: ['authorization_code', 'refresh_token'],
        redirectUris: [CALLBACK],
      });
      orders = await t.given.app(slug, {
        clientId: 'orders-service',
        name: 'Orders service',
        grantTypes: ['client_credentials', TOKEN_EXCHANGE_GRANT],
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

    it('requires DPoP proofs and server nonces once ticked: saved, shown again, and plain token requests refused', async () => {
      // before: a plain client_credentials request gets a Bearer token
      const before = await t.token(slug, { grant_type: 'client_credentials' }, reporting);
      expect(before.status).toBe(200);
      expect(before.body.token_type).toBe('Bearer');

      await openApplication(reporting.clientId, 'Reporting job');
      const requireDpop = checkbox('Require a DPoP proof on every token request');
      const nonces = checkbox('Require server-issued nonces in DPoP proofs');
      expect(await requireDpop.isChecked()).toBe(false);
      expect(await nonces.isChecked()).toBe(false);
      await click(requireDpop);
      await click(nonces);
      await shot('dpop');
      await save('Reporting job');

      expect(await application(reporting.clientId)).toMatchObject({
        requireDpop: true,
        dpopNonces: true,
        requirePushedAuthorizationRequests: false,
        tokenExchange: null,
      });
      await openApplication(reporting.clientId, 'Reporting job');
      expect(await requireDpop.isChecked()).toBe(true);
      expect(await nonces.isChecked()).toBe(true);

      // RFC 9449: without a proof, refused and nothing issued; the refusal carries a nonce (§8)
      const plain = await t.token(slug, { grant_type: 'client_credentials' }, reporting);
      expect(plain.status).toBe(400);
      expect(plain.body.error).toBe('invalid_dpop_proof');
      expect(plain.body.access_token).toBeUndefined();
      expect(plain.headers.get('dpop-nonce')).toEqual(expect.any(String));
    });

    it('requires pushed authorization requests once ticked: saved, shown again, and plain /authorize refused with no code', async () => {
      expect((await plainAuthorize()).status).toBe(200); // before: the sign-in form

      await openApplication(shop.clientId, 'Shop web');
      const par = checkbox('Sign-ins only by pushed authorization request (PAR, request_uri)');
      expect(await par.isChecked()).toBe(false);
      await click(par);
      await save('Shop web');

      expect(await application(shop.clientId)).toMatchObject({
        requirePushedAuthorizationRequests: true,
        requireDpop: false,
        dpopNonces: false,
      });
      await openApplication(shop.clientId, 'Shop web');
      expect(await par.isChecked()).toBe(true);

      // RFC 9126 §6: back to the client with invalid_request and its state, no code
      const refused = await plainAuthorize();
      expect(refused.status).toBe(302);
      const location = new URL(refused.headers.get('location')!);
      expect(location.origin + location.pathname).toBe(CALLBACK);
      expect(location.searchParams.get('error')).toBe('invalid_request');
      expect(location.searchParams.get('state')).toBe('s-1');
      expect(location.searchParams.get('code')).toBeNull();
    });

    it('sets a token-exchange target with one scope and a depth of 2 by keyboard, shows it again, and removes it', async () => {
      expect((await application(orders.clientId)).tokenExchange).toBeNull();
      await openApplication(orders.clientId, 'Orders service');
      const section = admin.getByRole('group', { name: 'Token exchange', exact: true });
      const target = checkbox(
        `Inventory ${INVENTORY}`,
        admin.getByRole('group', { name: 'Token exchange to Inventory' }),
      );
      const scopes = admin.getByRole('group', { name: 'Exchanged scopes of Inventory' });
      const depth = admin.getByLabel('Longest delegation chain');

      // reached with Tab from the section before it, ticked with Space
      await admin
        .getByRole('group', { name: 'What it may request' })
        .getByRole('checkbox')
        .last()
        .focus();
      await admin.keyboard.press('Tab');
      expect(await isFocused(section.getByRole('checkbox').first())).toBe(true);
      expect(await tabTo(target)).toBe(true);
      await admin.keyboard.press('Space');
      await scopes.waitFor();
      await admin.keyboard.press('Tab');
      expect(await isFocused(checkbox('inventory:read', scopes))).toBe(true);
      await admin.keyboard.press('Space');
      expect(await tabTo(depth)).toBe(true);
      await depth.selectOption('2');
      await section.screenshot({ path: join(ARTIFACTS, 'application-security-exchange.png') });
      await save('Orders service');

      expect((await application(orders.clientId)).tokenExchange).toEqual({
        targets: [{ resourceServer: INVENTORY, scopes: ['inventory:read'] }],
        maxDepth: 2,
      });
      await openApplication(orders.clientId, 'Orders service');
      expect(await target.isChecked()).toBe(true);
      expect(await checkbox('inventory:read', scopes).isChecked()).toBe(true);
      expect(await checkbox('inventory:write', scopes).isChecked()).toBe(false);
      expect(await depth.inputValue()).toBe('2');

      // no target left: the form sends no policy, and the application exchanges nothing
      await click(target);
      await scopes.waitFor({ state: 'detached' });
      await save('Orders service');
      expect((await application(orders.clientId)).tokenExchange).toBeNull();
      await openApplication(orders.clientId, 'Orders service');
      expect(await target.isChecked()).toBe(false);
    });

    it('shows the API’s refusal of a target’s scope beside that target', async () => {
      await openApplication(orders.clientId, 'Orders service');
      const row = admin.getByRole('group', { name: 'Token exchange to Inventory' });
      await click(checkbox(`Inventory ${INVENTORY}`, row));
      await click(checkbox('inventory:write', row));
      // meanwhile the scope goes from the resource server
      const replaced = await api('PUT', `/resource-servers/${inventoryId}`, {
        identifier: INVENTORY,
        name: 'Inventory',
        scopes: [{ name: 'inventory:read', description: '' }],
      });
      expect(replaced.status).toBe(200);

      await admin.getByRole('button', { name: 'Save changes' }).click();
      const refusal = row.getByRole('alert').filter({ hasText: 'Unknown scope inventory:write' });
      await refusal.waitFor();
      const summary = admin.getByText('Fix the fields marked above to save.');
      await summary.waitFor();
      await shot('exchange-refused');
      expect((await application(orders.clientId)).tokenExchange).toBeNull();
      // the message goes with the scope, and the policy saves
      await click(checkbox('inventory:write', row));
      await refusal.waitFor({ state: 'detached' });
      await summary.waitFor({ state: 'detached' });
      await click(checkbox('inventory:read', row));
      await save('Orders service');
      expect((await application(orders.clientId)).tokenExchange).toEqual({
        targets: [{ resourceServer: INVENTORY, scopes: ['inventory:read'] }],
        maxDepth: 1,
      });
    });
  },
);
