import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { authorize, eventually, signIn, useTestServer, type TestServer } from '../support/harness';
import { CB } from '../support/world';
import {
  ARTIFACTS,
  CHROMIUM_PATH,
  ensureConsoleBuilt,
  hasChromium,
  launchChromium,
} from './chromium';

const describeWithBrowser = hasChromium ? describe : describe.skip;
const HOUR_MS = 3_600_000;

/**
 * The overview says whether something is wrong: refresh-token reuse, failed and throttled sign-ins,
 * revocations and back-channel logouts given up on, each counted over the last 24 hours (or 7
 * days) and leading to the matching audit entries.
 */
describeWithBrowser(
  `the console's overview of security signals${hasChromium ? '' : ` (skipped: no Chromium at ${CHROMIUM_PATH})`}`,
  () => {
    beforeAll(() => ensureConsoleBuilt()); // before the server starts: it serves dist/admin
    const t: TestServer = useTestServer({ env: { TESSERA_ALLOW_PRIVATE_URIS: '1' } });
    let browser: Browser;
    let ctx: BrowserContext;
    let page: Page;
    let slug: string;

    const shot = (name: string) =>
      page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
    const signals = () => page.getByRole('list', { name: /^Security signals in the last/ });
    const signal = (name: string) => signals().getByRole('listitem').filter({ hasText: name });
    /** What the server holds: audit events of each type for the tenant. */
    const held = async () =>
      Object.fromEntries(
        (
          await t.sql<{ type: string; n: number }>(
            `SELECT e.type, count(*)::int AS n FROM audit_events e JOIN tenants t ON t.id = e.tenant_id
             WHERE t.slug = $1 GROUP BY 1`,
            [slug],
          )
        ).map((r) => [r.type, r.n]),
      ) as Record<string, number | undefined>;

    beforeAll(async () => {
      ({ slug } = await t.given.tenant({ name: 'Umbrella' }));
      browser = await launchChromium();
      ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      page = await ctx.newPage();
      page.setDefaultTimeout(10_000);
    }, 120_000);
    afterAll(() => browser?.close());

    it('shows a refresh-token reuse and a failed sign-in as signals that lead to the audit log', async () => {
      const app = await t.given.app(slug, {
        name: 'Umbrella web',
        grantTypes: ['authorization_code', 'refresh_token'],
        redirectUris: [CB],
        policy: { reuseGraceSeconds: 0, onReuse: 'revoke-family' },
      });
      const user = await t.given.user(slug);
      const admin = await t.given.tenantAdmin(slug);
      // a refresh token used twice: the second use is a reuse
      const s = await signIn(t, slug, {
        app,
        redirectUri: CB,
        email: user.email,
        password: user.password,
        scope: 'openid',
      });
      const refresh = () =>
        t.token(slug, { grant_type: 'refresh_token', refresh_token: s.refresh_token }, app);
      expect((await refresh()).status).toBe(200);
      expect((await refresh()).body).toMatchObject({ error: 'invalid_grant' });
      // a wrong password at the sign-in page
      await expect(
        authorize(t, slug, {
          clientId: app.clientId,
          redirectUri: CB,
          email: user.email,
          password: 'not the password',
          scope: 'openid',
        }),
      ).rejects.toThrow(/^sign-in: /);
      // the reuse ended the refresh-token family, as the policy says, and the audit log holds it
      expect(await held()).toMatchObject({
        refresh_token_reuse: 1,
        sign_in_failed: 1,
        family_revoked: 1,
      });

      await page.goto(`${t.url}/admin/t/${slug}/overview`);
      await page.getByLabel('Email').fill(admin.email);
      await page.getByLabel('Password').fill(admin.password);
      await page.getByRole('button', { name: /sign in/i }).click();
      await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();

      await signal('Refresh-token reuse').getByText('1 reuse incident in the last 24 h').waitFor();
      await signal('Failed sign-ins').getByText('1 failed sign-in in the last 24 h').waitFor();
      await signal('Throttled sign-ins').getByText('None in the last 24 h').waitFor();
      await signal('Back-channel logout failures').getByText('None in the last 24 h').waitFor();
      // the revocations read as the server holds them
      const after = await held();
      for (const [name, type, one, many] of [
        ['Sessions revoked', 'session_revoked', 'session revoked', 'sessions revoked'],
        [
          'Token families revoked',
          'family_revoked',
          'token family revoked',
          'token families revoked',
        ],
      ]) {
        const n = after[type] ?? 0;
        await signal(name)
          .getByText(
            n === 0 ? 'None in the last 24 h' : `${n} ${n === 1 ? one : many} in the last 24 h`,
          )
          .waitFor();
      }
      await page.getByText(/^Needs a look in the last 24 h:/).waitFor();
      await page.getByText(/1 reuse incident, 1 failed sign-in/).waitFor();

      // the chart: named, described, and its numbers in a table
      const chart = page.getByRole('figure', { name: 'Security signals per hour, last 24 hours' });
      await chart.waitFor();
      const described = await chart.evaluate(
        (el) =>
          el.ownerDocument.getElementById(el.getAttribute('aria-describedby') ?? '')?.textContent,
      );
      expect(described).toContain('Refresh-token reuse: 1 in all');
      expect(described).toContain('Throttled sign-ins: none.');
      await chart.getByRole('img', { name: /^Security signals per hour, last 24 hours/ }).waitFor();
      const table = chart.getByRole('table', { name: 'Security signals per hour, last 24 hours' });
      expect(await table.getByRole('row').count()).toBe(25); // a header and 24 hours
      await chart.getByRole('button', { name: 'Show the numbers' }).click();
      await table.waitFor({ state: 'visible' });
      expect(await table.getByRole('columnheader').allTextContents()).toEqual([
        'Time',
        'Refresh-token reuse',
        'Failed sign-ins',
        'Throttled sign-ins',
        'Sessions revoked',
        'Token families revoked',
        'Back-channel logout failures',
      ]);
      await shot('30-overview-signals');

      // the reuse signal leads to the audit log, filtered to reuse over the same 24 hours
      const shown = Date.now();
      await signal('Refresh-token reuse')
        .getByRole('link', { name: 'View refresh-token reuse in the audit log' })
        .click();
      await page.waitForURL(`**/admin/t/${slug}/audit?type=refresh_token_reuse&**`);
      await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
      const q = new URL(page.url()).searchParams;
      const [from, to] = [Date.parse(q.get('from')!), Date.parse(q.get('to')!)];
      expect(to - from).toBe(24 * HOUR_MS);
      expect(from).toBeLessThanOrEqual(shown - 23 * HOUR_MS);
      expect(to).toBeGreaterThan(shown);
    });

    it('counts over the last 7 days, per day, when asked', async () => {
      await page.goBack();
      await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
      // the choice lives in the URL: the radio turns checked once the navigation has rendered, so
      // click and wait for both rather than check() (which wants the state at once)
      const week = page.getByRole('radio', { name: 'Last 7 days' });
      await week.click();
      await page.waitForURL('**/overview?window=7d');
      await eventually(async () => expect(await week.isChecked()).toBe(true));
      await signal('Refresh-token reuse')
        .getByText('1 reuse incident in the last 7 days')
        .waitFor();
      const chart = page.getByRole('figure', { name: 'Security signals per day, last 7 days' });
      const table = chart.getByRole('table', { name: 'Security signals per day, last 7 days' });
      expect(await table.getByRole('row').count()).toBe(8);
      const link = signal('Failed sign-ins').getByRole('link', {
        name: 'View failed sign-ins in the audit log',
      });
      const q = new URL(`${t.url}${await link.getAttribute('href')}`).searchParams;
      expect(q.get('type')).toBe('sign_in_failed');
      expect(Date.parse(q.get('to')!) - Date.parse(q.get('from')!)).toBe(7 * 24 * HOUR_MS);
      // reloaded, the page keeps the window
      await page.reload();
      expect(await page.getByRole('radio', { name: 'Last 7 days' }).isChecked()).toBe(true);
    });

    it('counts a back-channel logout given up on, and lists it with its session', async () => {
      // an application told of logouts at an address nothing answers: its delivery will fail
      const app = await t.given.app(slug, {
        name: 'Umbrella reports',
        grantTypes: ['authorization_code', 'refresh_token'],
        redirectUris: [CB],
        backchannelLogoutUri: 'http://127.0.0.1:9/logout',
      });
      const user = await t.given.user(slug);
      const s = await signIn(t, slug, {
        app,
        redirectUri: CB,
        email: user.email,
        password: user.password,
        scope: 'openid',
      });
      await t.revokeSession(slug, s.sid);
      // the worker tried and failed; it gives up after its retries, settled here as it would be
      await eventually(async () => {
        await t.sql(
          `UPDATE backchannel_deliveries SET status = 'failed'
           WHERE session_id = $1 AND last_error IS NOT NULL`,
          [s.sid],
        );
        const rows = await t.sql(
          `SELECT status FROM backchannel_deliveries WHERE session_id = $1`,
          [s.sid],
        );
        expect(rows).toEqual([{ status: 'failed' }]);
      }, 15_000);
      await page.goto(`${t.url}/admin/t/${slug}/overview`);
      await signal('Back-channel logout failures')
        .getByText('1 back-channel logout given up in the last 24 h')
        .waitFor();
      const failed = page.getByRole('heading', { name: 'Failed back-channel logouts' });
      await failed.waitFor();
      await page.getByRole('link', { name: `Session ${s.sid.slice(0, 8)}` }).click();
      await page.waitForURL(`**/admin/t/${slug}/sessions/${s.sid}`);
    });

    it('fits a 390 px screen without scrolling sideways', async () => {
      await page.setViewportSize({ width: 390, height: 844 });
      await page.goto(`${t.url}/admin/t/${slug}/overview`);
      await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
      await page
        .getByRole('figure', { name: 'Security signals per hour, last 24 hours' })
        .waitFor();
      const { scrollWidth, clientWidth } = await page
        .getByRole('main')
        .evaluate(({ ownerDocument: { documentElement: root } }) => ({
          scrollWidth: root.scrollWidth,
          clientWidth: root.clientWidth,
        }));
      expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
      await shot('31-overview-signals-390');
    });

    it('measures the first screen of a signed-in administrator (recorded, not asserted)', async () => {
      // a new page: tokens live in memory, so the console signs in again through Tessera's session
      await page.setViewportSize({ width: 1280, height: 900 });
      const runs: Array<{ headingMs: number; signalsMs: number }> = [];
      for (let i = 0; i < 5; i++) {
        const fresh = await ctx.newPage();
        const start = Date.now();
        await fresh.goto(`${t.url}/admin/t/${slug}/overview`);
        await fresh.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
        const headingMs = Date.now() - start;
        await fresh.getByRole('list', { name: /^Security signals in the last/ }).waitFor();
        runs.push({ headingMs, signalsMs: Date.now() - start });
        await fresh.close();
      }
      const median = (k: 'headingMs' | 'signalsMs') =>
        runs.map((r) => r[k]).sort((a, b) => a - b)[2];
      writeFileSync(
        join(ARTIFACTS, 'first-screen.json'),
        JSON.stringify(
          { runs, median: { headingMs: median('headingMs'), signalsMs: median('signalsMs') } },
          null,
          2,
        ),
      );
    });
  },
);
