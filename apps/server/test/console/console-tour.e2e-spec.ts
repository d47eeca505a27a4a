import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { eventually, signIn, useTestServer, type TestServer } from '../support/harness';
import { CB } from '../support/world';
import {
  ARTIFACTS,
  CHROMIUM_PATH,
  ensureConsoleBuilt,
  hasChromium,
  launchChromium,
} from './chromium';

/**
 * A walk through every main screen of the console at a desk's width and a phone's, on a tenant
 * with history: each screen shows its heading and never scrolls the page sideways (wide tables
 * scroll inside themselves). A screenshot of each lands in test-artifacts/console/tour, or in
 * CONSOLE_TOUR_DIR (the screenshots of docs/console are taken this way).
 */
const OUT = process.env.CONSOLE_TOUR_DIR
  ? resolve(process.env.CONSOLE_TOUR_DIR)
  : join(ARTIFACTS, 'tour');
const ADMIN = { email: 'root@tessera.test', password: 'an admin password for tests' };
const WIDTHS = [
  { name: 'desktop', width: 1280, height: 900 },
  { name: 'phone', width: 390, height: 844 },
] as const;

const describeWithBrowser = hasChromium ? describe : describe.skip;
if (!hasChromium)
  console.warn(`console tour skipped: no Chromium at ${CHROMIUM_PATH} (CI installs it)`);

describeWithBrowser('a tour of the console at 1280 and 390 px', () => {
  beforeAll(() => ensureConsoleBuilt());
  const t: TestServer = useTestServer({ env: { TESSERA_ALLOW_PRIVATE_URIS: '1' } });
  let browser: Browser;
  let page: Page;
  const slug = 'acme';
  const ids: { session?: string; user?: string; resourceServer?: string } = {};

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    await t.given.tenant({ slug, name: 'Acme Corp' });
    const orders = await t.given.resourceServer(slug, {
      identifier: 'https://orders.acme.test',
      name: 'Orders API',
      scopes: [
        { name: 'orders:read', description: 'Read orders' },
        { name: 'orders:write', description: 'Place and change orders' },
      ],
      permissionGroups: [{ name: 'clerk', scopes: ['orders:read', 'orders:write'] }],
    });
    ids.resourceServer = orders.id;
    const grants = [
      {
        resourceServer: orders.identifier,
        scopes: ['orders:read', 'orders:write'],
        flows: ['user'],
      },
    ];
    const web = await t.given.app(slug, {
      clientId: 'orders-web',
      name: 'Orders web',
      grantTypes: ['authorization_code', 'refresh_token'],
      redirectUris: [CB],
      grants,
      policy: { reuseGraceSeconds: 0, onReuse: 'revoke-session' },
    });
    const ada = await t.given.user(slug, {
      email: 'ada@acme.test',
      permissions: [{ resourceServer: orders.identifier, permissionGroups: ['clerk'] }],
    });
    const grace = await t.given.user(slug, {
      email: 'grace@acme.test',
      permissions: [{ resourceServer: orders.identifier, scopes: ['orders:read'] }],
    });
    ids.user = ada.id;
    const as = (u: { email: string; password: string }) =>
      signIn(t, slug, {
        app: web,
        redirectUri: CB,
        email: u.email,
        password: u.password,
        scope: 'openid offline_access orders:read',
        resource: orders.identifier,
      });
    // a live session of each user, refreshed once
    const adas = await as(ada);
    ids.session = adas.sid;
    const refresh = (token: string) =>
      t.token(
        slug,
        { grant_type: 'refresh_token', refresh_token: token },
        { clientId: web.clientId, secret: web.secret },
      );
    expect((await refresh(adas.refresh_token)).status).toBe(200);
    const graces = await as(grace);
    // a reuse incident: grace's first refresh token comes back after its rotation
    expect((await refresh(graces.refresh_token)).status).toBe(200);
    expect((await refresh(graces.refresh_token)).status).toBe(400);
    // an administrator ends one more of ada's sessions
    const second = await as(ada);
    await t.revokeSession(slug, second.sid, 'Lost laptop');
    // a failed sign-in
    await expect(as({ email: ada.email, password: 'not the password' })).rejects.toThrow();

    browser = await launchChromium();
    const ctx = await browser.newContext({ viewport: WIDTHS[0] });
    page = await ctx.newPage();
    page.setDefaultTimeout(10_000);
    await page.goto(`${t.url}/admin/`);
    await page.getByLabel('Tenant').fill('system');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: /sign in/i }).click();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
  });

  /** [file name, path under /admin, the page's heading] */
  const screens = (): [string, string, string | RegExp][] => [
    ['overview', `/t/${slug}/overview`, 'Overview'],
    ['sessions', `/t/${slug}/sessions`, 'Live sessions'],
    ['session', `/t/${slug}/sessions/${ids.session}`, /Session/],
    ['history', `/t/${slug}/history`, 'Session history'],
    ['applications', `/t/${slug}/applications`, 'Applications'],
    ['application', `/t/${slug}/applications/orders-web`, 'Orders web'],
    ['resource-servers', `/t/${slug}/resource-servers`, 'Resource servers'],
    ['resource-server', `/t/${slug}/resource-servers/${ids.resourceServer}`, 'Orders API'],
    ['users', `/t/${slug}/users`, 'Users'],
    ['user', `/t/${slug}/users/${ids.user}`, 'ada@acme.test'],
    ['keys', `/t/${slug}/keys`, 'Signing keys'],
    ['audit', `/t/${slug}/audit`, 'Audit log'],
    ['audit-reuse', `/t/${slug}/audit?type=refresh_token_reuse`, 'Audit log'],
    ['settings', `/t/${slug}/settings`, /Settings/],
    ['tenants', '/tenants', 'Tenants'],
  ];

  for (const w of WIDTHS)
    it(`shows every main screen at ${w.width} px without scrolling the page sideways`, async () => {
      await page.setViewportSize({ width: w.width, height: w.height });
      for (const [name, path, heading] of screens()) {
        // the console's own navigation (no reload): the address bar as an administrator would
        await page.evaluate(
          `history.pushState(null, '', ${JSON.stringify(`/admin${path}`)});
           dispatchEvent(new PopStateEvent('popstate'))`,
        );
        await page.getByRole('heading', { level: 1, name: heading }).waitFor();
        await eventually(async () => {
          // nothing left loading: the screen is what an administrator reads
          expect(await page.getByText(/^(Loading|Updating)\b/).count()).toBe(0);
        });
        const overflow = await page.evaluate<{ scroll: number; view: number }>(
          '({ scroll: document.documentElement.scrollWidth, view: window.innerWidth })',
        );
        expect({ screen: name, ...overflow, fits: overflow.scroll <= overflow.view }).toEqual({
          screen: name,
          ...overflow,
          fits: true,
        });
        await page.screenshot({ path: join(OUT, `${w.name}-${name}.png`), fullPage: true });
      }
    });

  it('tells the reuse incident in the audit log in words, not the policy’s internal name', async () => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.evaluate(
      `history.pushState(null, '', '/admin/t/${slug}/audit?type=refresh_token_reuse');
       dispatchEvent(new PopStateEvent('popstate'))`,
    );
    const row = page.getByRole('row').filter({ hasText: 'grace@acme.test' });
    await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
    await row.getByText('then: signed the whole session out').waitFor();
    expect(await row.getByText(/revoke-session/).count()).toBe(0);
  });
});
