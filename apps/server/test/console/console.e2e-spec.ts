import type { INestApplication } from '@nestjs/common';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ordersConfig, startOrders } from '../../../example-orders/src/app';
import {
  eventually,
  freePort,
  pkce,
  send,
  useTestServer,
  type TestServer,
} from '../support/harness';
import { LogoutReceiver } from '../support/receiver';
import {
  ARTIFACTS,
  CHROMIUM_PATH,
  ensureConsoleBuilt,
  hasChromium,
  launchChromium,
} from './chromium';

const ADMIN = { email: 'root@tessera.test', password: 'an admin password for tests' };
const CLERK = { email: 'clerk@acme.example.test', password: 'a clerk password' };
const ORDERS_API = 'https://orders.example.test';

/** Where the test application's sign-in comes back: keeps the query of the last redirect. */
class RedirectReceiver {
  last?: URLSearchParams;
  private server?: Server;
  port = 0;
  get url() {
    return `http://127.0.0.1:${this.port}/cb`;
  }
  async start() {
    this.port = await freePort();
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', this.url);
      if (url.pathname !== '/cb') return void res.writeHead(404).end(); // the browser's favicon
      this.last = url.searchParams;
      res.writeHead(200, { 'content-type': 'text/html' }).end('<title>Signed in</title>Signed in');
    });
    await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', r));
    return this;
  }
  stop() {
    return new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

const describeWithBrowser = hasChromium ? describe : describe.skip;
if (!hasChromium)
  console.warn(`console browser tests skipped: no Chromium at ${CHROMIUM_PATH} (CI installs it)`);

describeWithBrowser(
  `the admin console in Chromium${hasChromium ? '' : ` (skipped: no Chromium at ${CHROMIUM_PATH})`}`,
  () => {
    beforeAll(() => ensureConsoleBuilt()); // before the server starts: it serves dist/admin
    const t: TestServer = useTestServer({ env: { TESSERA_ALLOW_PRIVATE_URIS: '1' } });
    let browser: Browser;
    let adminCtx: BrowserContext;
    let admin: Page;
    let slug: string;
    const redirects = new RedirectReceiver();
    const logouts = new LogoutReceiver();
    let orders: INestApplication | undefined;

    const shot = (name: string, page: Page = admin) =>
      page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
    const nav = (name: string) =>
      admin.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name }).click();
    const heading = (name: string | RegExp) =>
      admin.getByRole('heading', { level: 1, name }).waitFor();

    beforeAll(async () => {
      await Promise.all([redirects.start(), logouts.start()]);
      ({ slug } = await t.given.tenant({ name: 'Acme' }));
      await t.given.tenant({ name: 'Globex' }); // a second tenant: the switcher shows
      browser = await launchChromium();
      adminCtx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      admin = await adminCtx.newPage();
      admin.setDefaultTimeout(10_000);
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      await orders?.close();
      await Promise.all([redirects.stop(), logouts.stop()]);
    });

    it('signs the administrator in through Tessera’s own sign-in page', async () => {
      await admin.goto(`${t.url}/admin/`);
      // /admin asks which tenant the administrator belongs to: the root administrator, system's
      await admin.getByLabel('Tenant').fill('system');
      await admin.getByRole('button', { name: 'Sign in', exact: true }).click();
      await admin.waitForURL('**/t/system/authorize?**');
      await admin.getByLabel('Email').fill(ADMIN.email);
      await admin.getByLabel('Password').fill(ADMIN.password);
      await shot('00-sign-in');
      await admin.getByRole('button', { name: /sign in/i }).click();
      await heading('Overview');
      // on a fresh page the first Tab reaches the skip link, which moves on to the page itself
      await admin.keyboard.press('Tab');
      const skip = admin.getByRole('link', { name: 'Skip to content' });
      expect(await skip.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
      // the tenant switcher lists the tenants this admin administers
      await admin.getByLabel('Tenant').selectOption(slug);
      await admin.waitForURL(`**/admin/t/${slug}/overview`);
      await admin.getByText('No sign-ins or refreshes in the last 24 hours.').waitFor();
      await nav('Live sessions');
      await heading('Live sessions');
      await admin.getByText('No active sessions').waitFor();
      await shot('01-sessions-empty');
    });

    it('creates a resource server with scopes and a permission group', async () => {
      await nav('Resource servers');
      await heading('Resource servers');
      await admin.getByRole('link', { name: 'New resource server' }).click();
      await admin.getByLabel('Identifier').fill(ORDERS_API);
      await admin.getByLabel('Name', { exact: true }).fill('Orders');
      await admin.getByRole('button', { name: 'Add scope' }).click();
      await admin.getByLabel('Scope 1 name').fill('orders:read');
      await admin.getByLabel('Scope 1 description').fill('Read orders');
      await admin.getByRole('button', { name: 'Add scope' }).click();
      await admin.getByLabel('Scope 2 name').fill('orders:write');
      await admin.getByRole('button', { name: 'Add permission group' }).click();
      await admin.getByLabel('Group 1 name').fill('clerk');
      const groupScopes = admin.getByRole('group', { name: 'Scopes of group 1' });
      await groupScopes.getByText('orders:read').click();
      await groupScopes.getByText('orders:write').click();
      await shot('02-resource-server-form');
      await admin.getByRole('button', { name: 'Create resource server' }).click();
      await heading('Resource servers');
      await admin.getByRole('row', { name: /Orders/ }).waitFor();
      await shot('03-resource-servers');
      const [rs] = await t.sql(
        `SELECT scopes, permission_groups FROM resource_servers WHERE identifier = $1`,
        [ORDERS_API],
      );
      expect(rs.permission_groups).toEqual([
        { name: 'clerk', scopes: ['orders:read', 'orders:write'] },
      ]);
    });

    let clientSecret: string;
    it('creates an application with custom lifetimes and rotation policy, explaining what is wrong first', async () => {
      await nav('Applications');
      await heading('Applications');
      await admin.getByRole('link', { name: 'New application' }).click();
      await heading('New application');
      await admin.getByLabel('Name', { exact: true }).fill('Orders web');
      await admin.getByLabel('Client ID').fill('orders-web');
      await admin.getByLabel('Redirect URIs', { exact: true }).fill(redirects.url);
      await admin.getByLabel('Back-channel logout URI').fill(logouts.url);
      await admin.getByLabel('Access token lifetime').fill('2m');
      await admin.getByLabel('Refresh token idle lifetime').fill('1d');
      await admin.getByLabel('Refresh token absolute lifetime').fill('30d');
      await admin.getByLabel('Session absolute lifetime').fill('20d');
      await admin.getByLabel('Session idle lifetime').fill('12h');
      await admin.getByLabel('Refresh token rotation').selectOption('on');
      await admin.getByLabel('Reuse grace (seconds)').fill('5');
      await admin.getByLabel('When a used refresh token comes back').selectOption('revoke-family');
      const grant = admin.getByRole('group', { name: 'Access to Orders' });
      await grant.getByText('Orders', { exact: true }).click();
      await grant.getByRole('group', { name: 'Scopes of Orders' }).getByText('orders:read').click();
      await grant
        .getByRole('group', { name: 'Scopes of Orders' })
        .getByText('orders:write')
        .click();
      await admin.getByRole('button', { name: 'Create application' }).click();
      // refresh tokens cannot outlive their session: refused next to the field, with the reason
      await admin.getByText(/Must not be longer than the session absolute lifetime/).waitFor();
      await shot('04-application-form-conflict');
      await admin.getByLabel('Refresh token absolute lifetime').fill('14d');
      await admin
        .getByText(/a stolen refresh token works at most until .* \(14 days after a sign-in now\)/)
        .waitFor();
      await admin
        .getByText(/refused by feed-following APIs within ~1 s, by others after at most 2 minutes/)
        .waitFor();
      await shot('05-application-form');
      await admin.getByRole('button', { name: 'Create application' }).click();
      const dialog = admin.getByRole('dialog', { name: 'Client secret' });
      await dialog.waitFor();
      clientSecret = (await dialog.getByLabel('Client secret').textContent())!.trim();
      expect(clientSecret.length).toBeGreaterThanOrEqual(32);
      await shot('06-client-secret-once');
      await dialog.getByRole('button', { name: 'I have stored it' }).click();
      const res = await t.get(
        `/admin/api/tenants/${slug}/applications/orders-web`,
        await t.adminToken(),
      );
      expect(res.body).toMatchObject({
        type: 'confidential',
        redirectUris: [redirects.url],
        backchannelLogoutUri: logouts.url,
        policy: {
          accessTokenTtl: '2m',
          refreshIdleTtl: '1d',
          refreshAbsoluteTtl: '14d',
          sessionIdleTtl: '12h',
          sessionAbsoluteTtl: '20d',
          rotation: true,
          reuseGraceSeconds: 5,
          onReuse: 'revoke-family',
        },
        grants: [
          { resourceServer: ORDERS_API, scopes: ['orders:read', 'orders:write'], flows: ['user'] },
        ],
      });
      await nav('Applications');
      await admin.getByRole('row', { name: /Orders web/ }).waitFor();
      await shot('07-applications');
      // the resource server says which applications may request what
      await nav('Resource servers');
      await admin.getByRole('link', { name: 'Orders' }).click();
      await heading('Orders');
      await admin
        .getByRole('group', { name: 'Applications that may request from it' })
        .getByText(/orders:read, orders:write \(signed-in users\)/)
        .waitFor();
      await shot('07-resource-server-grants');
    });

    it('creates a user and gives them the permission group', async () => {
      await nav('Users');
      await heading('Users');
      await admin.getByRole('button', { name: 'New user' }).click();
      const dialog = admin.getByRole('dialog', { name: 'New user' });
      await dialog.getByRole('textbox', { name: 'Email' }).fill(CLERK.email);
      await dialog.getByLabel('Initial password').fill(CLERK.password);
      await dialog.getByRole('button', { name: 'Create user' }).click();
      await dialog.waitFor({ state: 'detached' });
      await admin.getByRole('link', { name: CLERK.email }).click();
      await heading(CLERK.email);
      await admin
        .getByRole('group', { name: 'Permission groups on Orders' })
        .getByText(/clerk/)
        .click();
      await admin.getByRole('button', { name: 'Save permissions' }).click();
      await admin.getByText(/Saved\. The next token/).waitFor();
      await shot('08-user');
    });

    let accessToken: string;
    let ordersUrl: string;
    it('shows a user signing in to the application in Live sessions without a reload', async () => {
      await nav('Live sessions');
      await heading('Live sessions');
      await admin.evaluate(
        () => ((globalThis as unknown as { notReloaded: boolean }).notReloaded = true),
      );

      // the example service, following the revocation feed with the new application's credentials
      const port = await freePort();
      ordersUrl = `http://127.0.0.1:${port}`;
      orders = await startOrders(
        ordersConfig({
          PORT: String(port),
          TESSERA_ISSUER: t.issuer(slug),
          TESSERA_AUDIENCE: ORDERS_API,
          TESSERA_CLIENT_ID: 'orders-web',
          TESSERA_CLIENT_SECRET: clientSecret,
        }),
      );
      await eventually(
        async () => expect((await send(`${ordersUrl}/healthz`)).status).toBe(200),
        15_000,
      );

      // a second browser: the clerk signs in to the application
      const userCtx = await browser.newContext({ viewport: { width: 390, height: 844 } });
      const user = await userCtx.newPage();
      const challenge = pkce();
      const q = new URLSearchParams({
        response_type: 'code',
        client_id: 'orders-web',
        redirect_uri: redirects.url,
        scope: 'openid orders:read orders:write',
        resource: ORDERS_API,
        state: 'st',
        code_challenge: challenge.challenge,
        code_challenge_method: 'S256',
      });
      await user.goto(`${t.issuer(slug)}/authorize?${q}`);
      await user.getByLabel('Email').fill(CLERK.email);
      await user.getByLabel('Password').fill(CLERK.password);
      await user.getByRole('button', { name: /sign in/i }).click();
      await user.waitForURL(`${redirects.url}**`);
      await userCtx.close();
      const tokens = await t.token(
        slug,
        {
          grant_type: 'authorization_code',
          code: redirects.last!.get('code')!,
          redirect_uri: redirects.url,
          code_verifier: challenge.verifier,
        },
        { clientId: 'orders-web', secret: clientSecret },
      );
      expect({ status: tokens.status, body: tokens.body }).toMatchObject({ status: 200 });
      accessToken = tokens.body.access_token;
      const list = await send(`${ordersUrl}/orders`, {
        headers: { authorization: `Bearer ${accessToken}` },
      });
      expect(list.status).toBe(200);

      // the session row may first show from a poll between the sign-in's two commits (the session,
      // then its surface): the next polls (every 2 s) name the application
      const row = admin.getByRole('row', { name: new RegExp(CLERK.email) });
      await row.waitFor({ timeout: 15_000 });
      await eventually(async () => expect(await row.textContent()).toContain('orders-web'), 15_000);
      expect(
        await admin.evaluate(
          () => (globalThis as unknown as { notReloaded?: boolean }).notReloaded,
        ),
      ).toBe(true);
      await shot('09-sessions-live');
      await admin.setViewportSize({ width: 390, height: 844 });
      await shot('09-sessions-live-390px');
      await admin.setViewportSize({ width: 1280, height: 900 });
    });

    it('shows the session detail with its refresh-token lineage', async () => {
      // keyboard: Enter on a focused row opens its detail
      await admin.getByRole('row', { name: new RegExp(CLERK.email) }).focus();
      await admin.keyboard.press('Enter');
      await heading(`Session of ${CLERK.email}`);
      await admin.getByRole('article', { name: 'Refresh token family for orders-web' }).waitFor();
      await admin
        .getByText(/^Issued/)
        .first()
        .waitFor();
      await shot('10-session-detail');
      await nav('Live sessions');
      await heading('Live sessions');
    });

    it('revokes the session through the confirm dialog, and the example service refuses the next call', async () => {
      await admin.getByRole('button', { name: `Revoke session of ${CLERK.email}` }).click();
      const dialog = admin.getByRole('alertdialog', { name: 'Revoke this session?' });
      await dialog.getByText(`Signs ${CLERK.email} out of orders-web`).waitFor();
      await shot('11-revoke-dialog');
      // the dialog takes the focus onto its confirm button: Enter confirms, Escape would cancel
      const confirm = dialog.getByRole('button', { name: 'Revoke session' });
      expect(await confirm.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
      await admin.keyboard.press('Enter');
      await dialog.waitFor({ state: 'detached' });
      await admin
        .getByRole('row', { name: new RegExp(CLERK.email) })
        .waitFor({ state: 'detached' });
      await admin.getByText('No active sessions').waitFor();
      await eventually(async () => {
        const refused = await send(`${ordersUrl}/orders`, {
          headers: { authorization: `Bearer ${accessToken}` },
        });
        expect(refused.status).toBe(401);
        expect(refused.headers.get('www-authenticate')).toMatch(/invalid_token/);
      }, 10_000);
      await eventually(() => expect(logouts.tokens).toHaveLength(1), 10_000);
      const [session] = await t.sql(
        `SELECT revoked_at FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = $1`,
        [CLERK.email],
      );
      expect(session.revoked_at).not.toBeNull();
    });

    it('counts the sign-in on the overview', async () => {
      await nav('Overview');
      await heading('Overview');
      const signIns = admin.getByRole('definition').filter({ hasText: /^\d+$/ });
      await admin.getByText('Sign-ins, last 24 h').waitFor();
      // the overview seen at sign-in is shown from the cache while it is fetched again
      await eventually(
        async () => expect(await signIns.allTextContents()).toEqual(['0', '1', '0']), // active, sign-ins, refreshes
        10_000,
      );
      await admin.getByRole('figure', { name: 'Sign-ins and refreshes per hour' }).waitFor();
      await shot('12-overview');
    });

    it('lists signing keys and the audit log', async () => {
      await nav('Signing keys');
      await heading('Signing keys');
      await admin.getByRole('gridcell', { name: 'active', exact: true }).waitFor();
      await shot('13-keys');
      await nav('Audit log');
      await heading('Audit log');
      await admin.getByLabel('Event type').selectOption('session_revoked');
      await admin.getByRole('gridcell', { name: 'Session ended', exact: true }).first().waitFor();
      await shot('14-audit');
    });

    it('withdraws a leaked key after saying what happens to its tokens and sessions', async () => {
      await nav('Signing keys');
      await heading('Signing keys');
      const keys = async (): Promise<Array<{ kid: string; state: string }>> =>
        (await t.get(`/admin/api/tenants/${slug}/keys`, await t.adminToken())).body;
      const leaked = (await keys()).find((k) => k.state === 'next')!.kid; // every tenant has one
      await admin.getByRole('button', { name: `Withdraw key ${leaked}` }).click();
      const dialog = admin.getByRole('alertdialog', { name: 'Withdraw this key?' });
      await dialog.getByText(/Every token it signed stops working/).waitFor();
      await dialog.getByText(/Sessions stay signed in/).waitFor();
      await shot('13b-withdraw-key');
      await dialog.getByRole('button', { name: 'Withdraw key' }).click();
      await dialog.waitFor({ state: 'detached' });
      await admin
        .getByRole('row', { name: new RegExp(leaked) })
        .getByRole('gridcell', { name: 'withdrawn', exact: true })
        .waitFor();
      expect((await keys()).find((k) => k.kid === leaked)!.state).toBe('withdrawn');
      const published = (await send(`${t.issuer(slug)}/jwks.json`)).body.keys;
      expect(published.map((k: { kid: string }) => k.kid)).not.toContain(leaked);
    });

    it('signs the administrator out through RP-initiated logout', async () => {
      await admin.getByRole('button', { name: 'Sign out' }).click();
      await admin.getByText('You are signed out.').waitFor();
      await shot('15-signed-out');
      // the Tessera session is gone: signing in again (at the tenant remembered) asks for the password
      await admin.getByRole('button', { name: 'Sign in', exact: true }).click();
      await admin.waitForURL('**/t/system/authorize?**');
      await admin.getByLabel('Password').waitFor();
    });
  },
);
