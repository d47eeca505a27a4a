import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { send, useTestServer, type TestServer } from '../support/harness';
import { CB } from '../support/world';
import {
  ARTIFACTS,
  CHROMIUM_PATH,
  ensureConsoleBuilt,
  hasChromium,
  launchChromium,
} from './chromium';

const ADMIN = { email: 'root@tessera.test', password: 'an admin password for tests' };
const BILLING_API = 'https://billing.example.test';

/** The endpoints an integrator needs, by the label the integration panel gives each. */
const ENDPOINT_LABELS: Record<string, string> = {
  authorization_endpoint: 'Authorization endpoint',
  token_endpoint: 'Token endpoint',
  userinfo_endpoint: 'UserInfo endpoint',
  jwks_uri: 'JWKS (signing keys)',
  introspection_endpoint: 'Introspection endpoint',
  revocation_endpoint: 'Revocation endpoint',
  end_session_endpoint: 'End-session (logout) endpoint',
};

const describeWithBrowser = hasChromium ? describe : describe.skip;

/**
 * An application's page tells an integrator how to connect it: the tenant's issuer, discovery URL
 * and endpoints (as the discovery document lists them), what it may ask for, and configurations to
 * copy without any secret. The built-in clients are badged and offer no Delete.
 */
describeWithBrowser(
  `integrating an application, from the console${hasChromium ? '' : ` (skipped: no Chromium at ${CHROMIUM_PATH})`}`,
  () => {
    beforeAll(() => ensureConsoleBuilt()); // before the server starts: it serves dist/admin
    const t: TestServer = useTestServer({ env: { TESSERA_ALLOW_PRIVATE_URIS: '1' } });
    let browser: Browser;
    let ctx: BrowserContext;
    let admin: Page;
    let slug: string;
    let service: { clientId: string; secret: string };
    let spa: { clientId: string };

    const shot = (name: string) =>
      admin.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
    const panel = () => admin.getByRole('region', { name: 'Integration', exact: true });
    /** The value next to a label in the panel's tables. */
    const fact = (label: string) =>
      panel()
        .getByRole('row')
        .filter({ has: admin.getByRole('rowheader', { name: label, exact: true }) })
        .getByRole('cell');
    const openApplication = async (tenant: string, name: string) => {
      await admin.goto(`${t.url}/admin/t/${tenant}/applications`);
      await admin.getByRole('heading', { level: 1, name: 'Applications' }).waitFor();
      await admin.getByRole('link', { name, exact: true }).click();
      await admin.getByRole('heading', { level: 1, name }).waitFor();
    };
    const clipboard = () => admin.evaluate<string>('navigator.clipboard.readText()');

    beforeAll(async () => {
      ({ slug } = await t.given.tenant({ name: 'Umbrella' }));
      await t.given.resourceServer(slug, {
        identifier: BILLING_API,
        name: 'Billing',
        scopes: [
          { name: 'invoices:read', description: 'Read invoices' },
          { name: 'invoices:write', description: 'Write invoices' },
        ],
      });
      service = await t.given.app(slug, {
        name: 'Billing service',
        grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
        redirectUris: [CB],
        policy: { refreshIdleTtl: '1d', refreshAbsoluteTtl: '30d' },
        grants: [
          {
            resourceServer: BILLING_API,
            scopes: ['invoices:read', 'invoices:write'],
            flows: ['user', 'client_credentials'],
          },
        ],
      });
      spa = await t.given.app(slug, {
        name: 'Billing SPA',
        type: 'public',
        grantTypes: ['authorization_code', 'refresh_token'],
        redirectUris: [CB],
        grants: [{ resourceServer: BILLING_API, scopes: ['invoices:read'], flows: ['user'] }],
      });

      browser = await launchChromium();
      ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: t.url });
      admin = await ctx.newPage();
      admin.setDefaultTimeout(10_000);
      await admin.goto(`${t.url}/admin/`);
      await admin.getByRole('button', { name: /Tessera administrator/ }).click();
      await admin.getByLabel('Email').fill(ADMIN.email);
      await admin.getByLabel('Password').fill(ADMIN.password);
      await admin.getByRole('button', { name: /sign in/i }).click();
      await admin.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    }, 120_000);
    afterAll(async () => {
      await browser?.close();
    });

    it('shows the issuer, the discovery URL and the endpoints of the real discovery document', async () => {
      await openApplication(slug, 'Billing service');
      await panel().getByRole('heading', { name: 'Integration' }).waitFor();

      const discoveryUrl = `${t.issuer(slug)}/.well-known/openid-configuration`;
      expect(await fact('Discovery URL').textContent()).toBe(discoveryUrl);
      const metadata = (await send(discoveryUrl)).body as Record<string, string>;
      expect(metadata.issuer).toBe(t.issuer(slug));
      expect(await fact('Issuer').textContent()).toBe(metadata.issuer);
      expect(await fact('Client ID').textContent()).toBe(service.clientId);

      await fact('Token endpoint').waitFor(); // once the console has read the document
      for (const [key, label] of Object.entries(ENDPOINT_LABELS)) {
        const shown = fact(label);
        if (metadata[key]) expect(await shown.textContent()).toBe(metadata[key]);
        else expect(await shown.count()).toBe(0); // nothing the server does not have
      }
      // every endpoint of the document that an integrator needs is there
      expect(Object.keys(ENDPOINT_LABELS).filter((k) => metadata[k]).length).toBeGreaterThanOrEqual(
        6,
      );

      const grants = panel().getByRole('list', { name: 'Allowed resources and scopes' });
      const item = grants.getByRole('listitem').filter({ hasText: BILLING_API });
      await item.getByText('invoices:read').waitFor();
      await item.getByText('invoices:write').waitFor();
      await item.getByText('For users’ sign-ins and client credentials.').waitFor();
      await panel().screenshot({ path: join(ARTIFACTS, '30-application-integration.png') });
    });

    it('copies an openid-client configuration with the client id and issuer, never the secret', async () => {
      await openApplication(slug, 'Billing service');
      const copy = panel().getByRole('button', { name: 'Copy openid-client (Node)' });
      await copy.click();
      await panel()
        .getByRole('region', { name: 'openid-client (Node)' })
        .getByRole('status')
        .getByText('Copied')
        .waitFor();
      const text = await clipboard();
      expect(text).toContain(`'${service.clientId}'`);
      expect(text).toContain(`new URL('${t.issuer(slug)}')`);
      expect(text).toContain('process.env.TESSERA_CLIENT_SECRET');
      expect(text).toContain("code_challenge_method: 'S256'");
      expect(text).toContain(`resource: '${BILLING_API}'`);
      expect(text).not.toContain(service.secret);
      // what the block shows is what was copied
      expect(
        await panel().getByRole('group', { name: 'openid-client (Node): code' }).textContent(),
      ).toBe(text);

      await panel()
        .getByRole('button', { name: 'Copy NestJS API with @tessera/nest-guards' })
        .click();
      const guards = await clipboard();
      expect(guards).toContain('TesseraAuthModule.forRoot({');
      expect(guards).toContain(`issuer: '${t.issuer(slug)}'`);
      expect(guards).toContain(`audience: '${BILLING_API}'`);
      expect(guards).toContain(`clientId: '${service.clientId}'`);
      expect(guards).not.toContain(service.secret);
    });

    it('gives a public client the SPA authorization request with PKCE', async () => {
      await openApplication(slug, 'Billing SPA');
      await fact('Client ID').getByText(spa.clientId).waitFor();
      await panel().getByRole('button', { name: 'Copy Browser SPA with PKCE' }).click();
      await panel()
        .getByRole('region', { name: 'Browser SPA with PKCE' })
        .getByRole('status')
        .getByText('Copied')
        .waitFor();
      const text = await clipboard();
      const metadata = (await send(`${t.issuer(slug)}/.well-known/openid-configuration`))
        .body as Record<string, string>;
      for (const part of [
        `new URL('${metadata.authorization_endpoint}')`,
        `fetch('${metadata.token_endpoint}'`,
        "response_type: 'code'",
        `client_id: '${spa.clientId}'`,
        `redirect_uri: '${CB}'`,
        "scope: 'openid email invoices:read'",
        `resource: '${BILLING_API}'`,
        "code_challenge_method: 'S256'",
        `back.get('iss') !== '${metadata.issuer}'`,
      ])
        expect(text).toContain(part);
      expect(text).not.toMatch(/secret/i);
    });

    it('badges the built-in clients as system clients and offers no Delete', async () => {
      await admin.goto(`${t.url}/admin/t/${slug}/applications`);
      const row = admin.getByRole('row', { name: /Tessera admin console/ });
      await row.getByText('System client').waitFor();
      expect(
        await admin
          .getByRole('row', { name: /Billing service/ })
          .getByText('System client')
          .count(),
      ).toBe(0);
      await openApplication(slug, 'Tessera admin console');
      await admin.getByText('System client', { exact: true }).waitFor();
      await admin
        .getByText(
          'System client: Tessera uses it for signing this tenant’s administrators in to this console, so it cannot be deleted.',
        )
        .waitFor();
      expect(await admin.getByRole('button', { name: /Delete/ }).count()).toBe(0);
      await shot('31-system-client');

      // the system tenant's automation client, too
      await openApplication('system', 'Automation (admin API)');
      await admin.getByText('System client', { exact: true }).waitFor();
      await admin.getByText(/Tessera uses it for scripts and deployments/).waitFor();
      expect(await admin.getByRole('button', { name: /Delete/ }).count()).toBe(0);
      const [row2] = await t.sql(
        `SELECT count(*)::int AS n FROM applications WHERE client_id IN ('tessera-automation', 'tessera-console')`,
      );
      expect(row2.n).toBeGreaterThanOrEqual(3); // the automation client and two tenants' consoles
    });

    it('shows idle and absolute lifetimes apart in the applications list', async () => {
      await admin.goto(`${t.url}/admin/t/${slug}/applications`);
      const table = admin.getByRole('grid', { name: 'Applications' });
      for (const header of ['Access token', 'Refresh token', 'Session'])
        await table.getByRole('columnheader', { name: header, exact: true }).waitFor();
      const app = (
        await t.get(
          `/admin/api/tenants/${slug}/applications/${service.clientId}`,
          await t.adminToken(),
        )
      ).body as { effectivePolicy: Record<string, string> };
      const p = app.effectivePolicy;
      const row = table.getByRole('row', { name: /Billing service/ });
      const headers = await table.getByRole('columnheader').allTextContents();
      const cells = [
        ...(await row.getByRole('rowheader').allTextContents()),
        ...(await row.getByRole('gridcell').allTextContents()),
      ];
      // a sortable header ends in its (hidden) sort arrow
      const byHeader = Object.fromEntries(
        headers.map((h, i) => [h.replace(/[^\w)]+$/u, ''), cells[i]]),
      );
      expect(byHeader).toMatchObject({
        'Access token': p.accessTokenTtl,
        'Refresh token': `idle ${p.refreshIdleTtl} · absolute ${p.refreshAbsoluteTtl}`,
        Session: `idle ${p.sessionIdleTtl} · absolute ${p.sessionAbsoluteTtl}`,
      });
      expect(p).toMatchObject({ refreshIdleTtl: '1d', refreshAbsoluteTtl: '30d' });
    });

    it('is readable at 390 px: nothing scrolls sideways but the code blocks, inside themselves', async () => {
      await admin.setViewportSize({ width: 390, height: 844 });
      await openApplication(slug, 'Billing service');
      await fact('Discovery URL').waitFor();
      const box = await panel().boundingBox();
      expect(box!.x).toBeGreaterThanOrEqual(0);
      expect(box!.x + box!.width).toBeLessThanOrEqual(390);
      for (const label of ['Discovery URL', 'Token endpoint']) {
        const b = (await fact(label).boundingBox())!;
        expect(b.x + b.width).toBeLessThanOrEqual(390);
      }
      const code = panel().getByRole('group', { name: 'openid-client (Node): code' });
      const c = await code.evaluate((el) => ({
        right: el.getBoundingClientRect().right,
        overflowX: el.ownerDocument.defaultView!.getComputedStyle(el).overflowX,
      }));
      expect(c.right).toBeLessThanOrEqual(390);
      expect(c.overflowX).toBe('auto');
      await panel().screenshot({ path: join(ARTIFACTS, '32-application-integration-390.png') });
      expect(await admin.evaluate('document.scrollingElement.scrollWidth')).toBeLessThanOrEqual(
        390,
      );
    });
  },
);
