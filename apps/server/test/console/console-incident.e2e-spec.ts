import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { send, signIn, useTestServer, type TestServer } from '../support/harness';
import {
  ARTIFACTS,
  CHROMIUM_PATH,
  ensureConsoleBuilt,
  hasChromium,
  launchChromium,
} from './chromium';

const ADMIN = { email: 'root@tessera.test', password: 'an admin password for tests' };
const CB = 'https://app.example.test/cb';
const WIDE = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };
const SECTIONS = [
  'Overview',
  'Live sessions',
  'Session history',
  'Applications',
  'Resource servers',
  'Users',
  'Signing keys',
  'Audit log',
];

const describeWithBrowser = hasChromium ? describe : describe.skip;

describeWithBrowser(
  `answering an incident in the console, at 1280 px and 390 px${hasChromium ? '' : ` (skipped: no Chromium at ${CHROMIUM_PATH})`}`,
  () => {
    beforeAll(() => ensureConsoleBuilt()); // before the server starts: it serves dist/admin
    const t: TestServer = useTestServer();
    let browser: Browser;
    let page: Page;
    let slug: string;
    let clerk: { id: string; email: string };
    let sid: string;
    const messages: string[] = [];
    const notFound: string[] = [];

    const shot = (name: string) =>
      page.screenshot({ path: join(ARTIFACTS, `incident-${name}.png`), fullPage: true });
    const heading = (name: string | RegExp) =>
      page.getByRole('heading', { level: 1, name }).waitFor();
    const sections = () => page.getByRole('navigation', { name: 'Sections' });
    const menu = () => sections().getByRole('button', { name: /^Menu/ });
    const isFocused = (l: Locator) => l.evaluate((el) => el === el.ownerDocument.activeElement);
    /** Whether the box of what the locator finds lies inside the viewport, left to right. */
    const isInsideViewport = async (l: Locator) => {
      const box = await l.boundingBox();
      const width = page.viewportSize()!.width;
      return !!box && box.x >= 0 && box.x + box.width <= width;
    };
    /** Whether the page, or the table's scroll box, scrolls sideways. */
    const scrollsSideways = (l: Locator) =>
      l.evaluate((grid) => {
        const doc = grid.ownerDocument.documentElement;
        const box = grid.parentElement!;
        return doc.scrollWidth > doc.clientWidth || box.scrollWidth > box.clientWidth;
      });

    beforeAll(async () => {
      ({ slug } = await t.given.tenant({ name: 'Acme' }));
      const app = await t.given.app(slug, {
        clientId: 'orders-web',
        grantTypes: ['authorization_code', 'refresh_token'],
        redirectUris: [CB],
      });
      const user = await t.given.user(slug, { email: 'clerk@acme.example.test' });
      clerk = { id: user.id, email: user.email };
      // the clerk signs in to the application: one live session, with a refresh-token family
      sid = (
        await signIn(t, slug, {
          app,
          redirectUri: CB,
          email: user.email,
          password: user.password,
          scope: 'openid',
        })
      ).sid;

      browser = await launchChromium();
      const ctx = await browser.newContext({ viewport: WIDE });
      page = await ctx.newPage();
      page.setDefaultTimeout(10_000);
      page.on('console', (m) => messages.push(`${m.type()}: ${m.text()}`));
      page.on('response', (r) => {
        if (r.status() === 404) notFound.push(r.url());
      });
      await page.goto(`${t.url}/admin/`);
      await page.getByLabel('Tenant').fill('system');
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page.waitForURL('**/t/system/authorize?**');
      await page.getByLabel('Email').fill(ADMIN.email);
      await page.getByLabel('Password').fill(ADMIN.password);
      await page.getByRole('button', { name: /sign in/i }).click();
      await heading('Overview');
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
    });

    it('at 1280 px, lists the session by the user’s email with its Revoke action in view', async () => {
      await page.goto(`${t.url}/admin/t/${slug}/sessions`);
      await heading('Live sessions');
      const row = page.getByRole('row', { name: new RegExp(clerk.email) });
      await row.waitFor();
      // named by email, not by id
      expect(await row.textContent()).not.toContain(clerk.id);
      await row.getByRole('link', { name: clerk.email }).waitFor();
      const revoke = page.getByRole('button', { name: `Revoke session of ${clerk.email}` });
      expect(await isInsideViewport(revoke)).toBe(true);
      expect(
        await isInsideViewport(
          page.getByRole('button', { name: `Sign ${clerk.email} out everywhere` }),
        ),
      ).toBe(true);
      expect(await scrollsSideways(page.getByRole('grid', { name: 'Live sessions' }))).toBe(false);
      // wide: the sections are listed, with no Menu button
      expect(await menu().isVisible()).toBe(false);
      for (const name of SECTIONS)
        expect(await sections().getByRole('link', { name, exact: true }).isVisible()).toBe(true);
      await shot('01-sessions-1280');
    });

    it('shows the lineage to the second and explains until when an access token stays valid', async () => {
      await page.getByRole('link', { name: clerk.email }).click();
      await heading(`Session of ${clerk.email}`);
      const family = page.getByRole('article', { name: 'Refresh token family for orders-web' });
      await family.getByRole('listitem').first().waitFor();
      // e.g. "Dec 6, 2026, 10:15:30 AM": hours, minutes and seconds
      expect(await family.getByRole('listitem').first().textContent()).toMatch(/\d:\d\d:\d\d/);
      await page
        .getByText(/an API that only checks a token's signature and expiry offline keeps accepting/)
        .waitFor();
      await shot('02-session-live');
    });

    it('at 390 px, every section is one tap away behind the Menu button, with the focus managed', async () => {
      await page.setViewportSize(PHONE);
      await page.goto(`${t.url}/admin/t/${slug}/overview`);
      await heading('Overview');
      // closed: the sections take no room, the button says where we are
      expect(await menu().getAttribute('aria-expanded')).toBe('false');
      expect(await sections().getByRole('link').count()).toBe(0);
      await menu().click();
      expect(await menu().getAttribute('aria-expanded')).toBe('true');
      for (const name of SECTIONS) {
        const link = sections().getByRole('link', { name, exact: true });
        expect(await link.isVisible()).toBe(true);
        expect(await isInsideViewport(link)).toBe(true);
      }
      // opening moves the focus to the current section; Escape closes and gives it back
      expect(await isFocused(sections().getByRole('link', { name: 'Overview' }))).toBe(true);
      await shot('03-menu-390');
      await page.keyboard.press('Escape');
      expect(await menu().getAttribute('aria-expanded')).toBe('false');
      expect(await isFocused(menu())).toBe(true);
      // by keyboard: Enter opens, Tab moves on through the sections, Enter follows one
      await page.keyboard.press('Enter');
      await page.keyboard.press('Tab');
      expect(await isFocused(sections().getByRole('link', { name: 'Live sessions' }))).toBe(true);
      await page.keyboard.press('Enter');
      await heading('Live sessions');
      expect(await menu().getAttribute('aria-expanded')).toBe('false');
      expect(await isFocused(page.getByRole('main'))).toBe(true);
    });

    it('at 390 px, revokes the session in one tap on its card and a confirmation', async () => {
      const revoke = page.getByRole('button', { name: `Revoke session of ${clerk.email}` });
      await revoke.waitFor();
      expect(await isInsideViewport(revoke)).toBe(true);
      expect(await scrollsSideways(page.getByRole('grid', { name: 'Live sessions' }))).toBe(false);
      await shot('04-sessions-390');
      await revoke.click();
      const dialog = page.getByRole('alertdialog', { name: 'Revoke this session?' });
      await dialog.getByText(`Signs ${clerk.email} out of orders-web`).waitFor();
      await dialog.getByRole('button', { name: 'Revoke session' }).click();
      await dialog.waitFor({ state: 'detached' });
      await page.getByText('No active sessions').waitFor();
      const [row] = await t.sql(
        `SELECT revoked_at, revocation_reason, revoked_by FROM sessions WHERE id = $1`,
        [sid],
      );
      expect(row.revoked_at).not.toBeNull();
      expect(row.revocation_reason).toBe('admin');
    });

    it('shows the ended session in Session history with how it ended and the administrator who did it', async () => {
      await menu().click();
      await sections().getByRole('link', { name: 'Session history' }).click();
      await heading('Session history');
      await page.getByText(/Ended sessions are kept for 30 days after they end/).waitFor();
      const row = page.getByRole('row', { name: new RegExp(clerk.email) });
      await row.getByText('Revoked by an administrator').waitFor();
      await row.getByText(ADMIN.email).waitFor();
      expect(await scrollsSideways(page.getByRole('grid', { name: 'Ended sessions' }))).toBe(false);
      await shot('05-history-390');
      // the server holds the same: reason, and the administrator's subject
      const history = await t.get(
        `/admin/api/tenants/${slug}/sessions/history`,
        await t.adminToken(),
      );
      expect(history.body.items).toEqual([
        expect.objectContaining({
          id: sid,
          userEmail: clerk.email,
          reason: 'admin',
          endedBy: { subject: expect.any(String), email: ADMIN.email },
        }),
      ]);
      const [admin] = await t.sql(`SELECT id FROM users WHERE email = $1`, [ADMIN.email]);
      expect(history.body.items[0].endedBy.subject).toBe(admin.id);

      // filtered by how it ended, through the URL-backed filter
      await page.getByLabel('How it ended').selectOption({ label: 'Signed out' });
      await page.getByText('No ended session matches these filters.').waitFor();
      await page.getByLabel('How it ended').selectOption({ label: 'Revoked by an administrator' });
      await row.waitFor();
      expect(page.url()).toContain('reason=admin');
    });

    it('says on the ended session’s page how it ended, and why its access token may still be accepted', async () => {
      await page.setViewportSize(WIDE);
      await page
        .getByRole('row', { name: new RegExp(clerk.email) })
        .getByRole('link')
        .click();
      await heading(`Session of ${clerk.email}`);
      await page
        .getByRole('definition')
        .filter({ hasText: /Revoked by an administrator, by root@tessera\.test/ })
        .waitFor();
      await page
        .getByText(
          /The session has ended, but its access tokens are signed JWTs .* accepts a token issued before then until/,
        )
        .waitFor();
      expect(await page.getByRole('button', { name: 'Revoke session' }).count()).toBe(0);
      await shot('06-session-ended');
    });

    it('lists the user’s ended sessions on their page', async () => {
      await page.goto(`${t.url}/admin/t/${slug}/users/${clerk.id}`);
      await heading(clerk.email);
      await page.getByRole('heading', { name: 'Ended sessions' }).waitFor();
      const ended = page.getByRole('grid', { name: 'Ended sessions' });
      await ended.getByRole('row').filter({ hasText: 'Revoked by an administrator' }).waitFor();
      await page
        .getByRole('link', { name: `All of ${clerk.email}’s ended sessions in Session history` })
        .click();
      await heading('Session history');
      expect(page.url()).toContain(`user=${clerk.id}`);
    });

    it('keeps each key ID on one line', async () => {
      await page.goto(`${t.url}/admin/t/${slug}/keys`);
      await heading('Signing keys');
      const keys = (await t.get(`/admin/api/tenants/${slug}/keys`, await t.adminToken()))
        .body as Array<{ kid: string }>;
      expect(keys.length).toBeGreaterThan(0);
      for (const { kid } of keys) {
        const cell = page.getByRole('rowheader', { name: kid });
        const lines = await cell
          .getByText(kid, { exact: true })
          .evaluate((el) => el.getClientRects().length);
        expect(lines).toBe(1);
      }
    });

    it('asked for no missing favicon, and React Router did not warn', async () => {
      const html = await send(`${t.url}/admin/`);
      const icon = /<link rel="icon"[^>]* href="([^"]+)"/.exec(html.text)?.[1];
      expect(icon).toBe('/admin/favicon.svg');
      const res = await send(`${t.url}${icon}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/svg+xml');
      expect(notFound).toEqual([]);
      expect(messages.filter((m) => /HydrateFallback|favicon/i.test(m))).toEqual([]);
    });
  },
);
