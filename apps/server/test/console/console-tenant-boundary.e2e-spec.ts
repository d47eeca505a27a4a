import { join } from 'node:path';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { useTestServer, type TestServer } from '../support/harness';
import {
  ARTIFACTS,
  CHROMIUM_PATH,
  ensureConsoleBuilt,
  hasChromium,
  launchChromium,
} from './chromium';

const ATTACKER_PASSWORD = 'chosen by acme’s administrator';
const BOBS_PASSWORD = 'bob’s own password at beta';

const describeWithBrowser = hasChromium ? describe : describe.skip;

/**
 * The tenant boundary as an administrator meets it in the console: a tenant's administrators sign
 * in at their own tenant (its sign-in page, its users), and the console validates what comes back
 * from that sign-in like any relying party (RFC 9207 `iss`, the ID token's signature and nonce).
 */
describeWithBrowser(
  `the admin console across tenants, in Chromium${hasChromium ? '' : ` (skipped: no Chromium at ${CHROMIUM_PATH})`}`,
  () => {
    beforeAll(() => ensureConsoleBuilt());
    const t: TestServer = useTestServer();
    let browser: Browser;
    let acme: string;
    let beta: string;
    let ada: { email: string; password: string };
    const contexts: BrowserContext[] = [];

    const page = async (): Promise<Page> => {
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      contexts.push(ctx);
      const p = await ctx.newPage();
      p.setDefaultTimeout(10_000);
      return p;
    };
    const shot = (p: Page, name: string) =>
      p.screenshot({ path: join(ARTIFACTS, `boundary-${name}.png`), fullPage: true });
    /** At a tenant's own sign-in page (the console sent the browser there). */
    const signInAt = async (p: Page, slug: string, email: string, password: string) => {
      await p.waitForURL(`**/t/${slug}/authorize?**`);
      await p.getByLabel('Email').fill(email);
      await p.getByLabel('Password').fill(password);
      await p.getByRole('button', { name: /sign in/i }).click();
    };

    beforeAll(async () => {
      ({ slug: acme } = await t.given.tenant({ name: 'Acme' }));
      ({ slug: beta } = await t.given.tenant({ name: 'Beta' }));
      ada = await t.given.user(acme, { email: 'ada@acme.test', roles: ['admin'] });
      browser = await launchChromium();
    }, 120_000);

    afterAll(async () => {
      for (const c of contexts) await c.close();
      await browser?.close();
    });

    describe('the attack on another tenant’s console access', () => {
      let attacker: Page;

      it('signs acme’s administrator in at acme’s own sign-in page, from the tenant they name', async () => {
        attacker = await page();
        await attacker.goto(`${t.url}/admin/`);
        await attacker.getByLabel('Tenant').fill(acme);
        await attacker.getByRole('button', { name: 'Sign in', exact: true }).click();
        await signInAt(attacker, acme, ada.email, ada.password);
        await attacker.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
        await attacker.getByText(`ada@acme.test (${acme})`).waitFor();
        expect(attacker.url()).toContain(`/admin/t/${acme}/overview`);
      });

      it('says so when the tenant named does not exist, on /admin and at /admin/t/{slug}', async () => {
        const p = await page();
        await p.goto(`${t.url}/admin/`);
        await p.getByLabel('Tenant').fill('no-such-tenant');
        await p.getByRole('button', { name: 'Sign in', exact: true }).click();
        await p.getByText('There is no tenant called “no-such-tenant” here').waitFor();
        await p.goto(`${t.url}/admin/t/no-such-tenant/overview`);
        await p.getByText('There is no tenant called “no-such-tenant” here').waitFor();
        expect(await p.getByLabel('Tenant').inputValue()).toBe('no-such-tenant');
        await shot(p, '00-no-such-tenant');
      });

      it('lets acme’s administrator create bob@beta.test as an administrator of acme, and take the role away', async () => {
        await attacker
          .getByRole('navigation', { name: 'Sections' })
          .getByRole('link', { name: 'Users' })
          .click();
        await attacker.getByRole('button', { name: 'New user' }).click();
        const form = attacker.getByRole('dialog');
        await form.getByRole('textbox', { name: 'Email', exact: true }).fill('bob@beta.test');
        await form.getByLabel('Initial password').fill(ATTACKER_PASSWORD);
        await form.getByText(/Administrator of this tenant/).click();
        await form.getByRole('button', { name: 'Create user' }).click();
        await attacker.getByRole('link', { name: 'bob@beta.test' }).click();
        await attacker.getByRole('heading', { level: 1, name: 'bob@beta.test' }).waitFor();
        await attacker.getByRole('button', { name: 'Remove administrator role' }).click();
        const confirm = attacker.getByRole('alertdialog', {
          name: 'Remove bob@beta.test as an administrator?',
        });
        await confirm.getByText(/can no longer administer/).waitFor();
        await confirm.getByRole('button', { name: 'Remove administrator role' }).click();
        await attacker.getByRole('button', { name: 'Make administrator' }).waitFor();
        await shot(attacker, '01-bob-at-acme');
        // the user is acme's, and only acme's
        const rows = await t.sql(
          `SELECT t.slug, u.roles FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE u.email = 'bob@beta.test'`,
        );
        expect(rows).toEqual([{ slug: acme, roles: [] }]);
      });

      it('keeps the attacker’s password out of beta once beta makes the real bob its administrator', async () => {
        const created = await t.json(
          'POST',
          `/admin/api/tenants/${beta}/users`,
          { email: 'bob@beta.test', password: BOBS_PASSWORD, roles: ['admin'] },
          await t.adminToken(),
        );
        expect(created.status).toBe(201);
        const p = await page();
        await p.goto(`${t.url}/admin/t/${beta}/users`);
        // the page says whose account it asks for
        await p.getByText(`With your account at Beta (${beta})`).waitFor();
        await signInAt(p, beta, 'bob@beta.test', ATTACKER_PASSWORD);
        await p.getByRole('alert').getByText('The email or password is incorrect.').waitFor();
        expect(p.url()).toContain(`/t/${beta}/`);
        await shot(p, '02-attacker-refused-at-beta');
        // the system tenant knows no bob either
        const q = await page();
        await q.goto(`${t.url}/admin/`);
        await q.getByRole('button', { name: /Tessera administrator/ }).click();
        await signInAt(q, 'system', 'bob@beta.test', ATTACKER_PASSWORD);
        await q.getByRole('alert').getByText('The email or password is incorrect.').waitFor();
      });

      it('shows the attacker signed in at acme as bob nothing of beta', async () => {
        const p = await page();
        await p.goto(`${t.url}/admin/t/${acme}/overview`);
        await signInAt(p, acme, 'bob@beta.test', ATTACKER_PASSWORD);
        // acme's bob administers nothing: the console says so, and beta's name buys nothing
        await p
          .getByRole('alert')
          .getByText(/does not administer/)
          .waitFor();
        await p.goto(`${t.url}/admin/t/${beta}/users`);
        await p.waitForURL(`**/t/${beta}/authorize?**`); // beta's own sign-in, where acme's bob is nobody
        await shot(p, '03-acme-bob-sent-to-beta-sign-in');
      });

      it('lets the real bob in to beta with his own password, and to beta only', async () => {
        const p = await page();
        await p.goto(`${t.url}/admin/t/${beta}/users`);
        await signInAt(p, beta, 'bob@beta.test', BOBS_PASSWORD);
        await p.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
        await p.getByText(`bob@beta.test (${beta})`).waitFor();
        await p.goto(`${t.url}/admin/t/${acme}/overview`);
        // beta's bob is sent to acme's sign-in: nothing of acme is shown to him
        await p.waitForURL(`**/t/${acme}/authorize?**`);
        await shot(p, '04-bob-at-beta');
      });
    });

    describe('the console’s own sign-in, validated like any relying party’s', () => {
      /** Starts a sign-in of ada at acme and lets `tamper` change what comes back; returns what was called. */
      async function tamperedSignIn(tamper: (p: Page) => Promise<void>) {
        const p = await page();
        const calls: string[] = [];
        p.on('request', (r: Request) => {
          const path = new URL(r.url()).pathname;
          if (path.endsWith('/token') || path.startsWith('/admin/api/')) calls.push(path);
        });
        await p.goto(`${t.url}/admin/t/${acme}/overview`);
        await p.waitForURL(`**/t/${acme}/authorize?**`);
        await tamper(p);
        await p.getByLabel('Email').fill(ada.email);
        await p.getByLabel('Password').fill(ada.password);
        await p.getByRole('button', { name: /sign in/i }).click();
        await p.getByRole('heading', { name: 'Sign-in did not complete' }).waitFor();
        return { page: p, calls };
      }

      it('refuses an authorization answer whose iss is another tenant’s (RFC 9207), before redeeming the code', async () => {
        const { page: p, calls } = await tamperedSignIn(async (p) => {
          // the sign-in form's answer redirects to the console's callback: change the iss it carries
          await p.route(
            (url) => url.pathname === `/t/${acme}/authorize`,
            async (route) => {
              if (route.request().method() !== 'POST') return route.continue();
              const res = await route.fetch({ maxRedirects: 0 });
              const location = new URL(res.headers()['location']);
              expect(location.pathname).toBe('/admin/callback');
              expect(location.searchParams.get('iss')).toBe(t.issuer(acme));
              location.searchParams.set('iss', t.issuer(beta));
              await route.fulfill({
                response: res,
                headers: { ...res.headers(), location: location.href },
              });
            },
          );
        });
        await p
          .getByRole('alert')
          .getByText(/did not check out/)
          .waitFor();
        expect(calls).toEqual([]); // no token request, no admin API call
        await shot(p, '05-iss-mix-up-refused');
      });

      it('shows no error answer that does not carry this sign-in’s state and the tenant’s iss', async () => {
        const p = await page();
        await p.goto(`${t.url}/admin/t/${acme}/overview`);
        await p.waitForURL(`**/t/${acme}/authorize?**`);
        // a link someone sent: an "error" from nowhere, with words of their choosing
        const forged = new URLSearchParams({
          error: 'access_denied',
          error_description: 'Your account is locked: call +1 555 0100 to unlock it',
        });
        await p.goto(`${t.url}/admin/callback?${forged}`);
        await p.getByRole('heading', { name: 'Sign-in did not complete' }).waitFor();
        const alert = await p.getByRole('alert').innerText();
        expect(alert).toMatch(/did not check out/);
        expect(alert).not.toContain('555 0100');
      });

      it('refuses an ID token that does not carry the nonce this sign-in sent', async () => {
        const { page: p, calls } = await tamperedSignIn(async (p) => {
          // the pending sign-in lives in this origin's sessionStorage while the sign-in page shows
          await p.evaluate(`(() => {
            const key = 'tessera.console.pending';
            const pending = JSON.parse(sessionStorage.getItem(key));
            sessionStorage.setItem(key, JSON.stringify({ ...pending, nonce: 'another-nonce' }));
          })()`);
        });
        await p
          .getByRole('alert')
          .getByText(/did not check out/)
          .waitFor();
        expect(calls.filter((c) => c.startsWith('/admin/api/'))).toEqual([]);
      });

      it('refuses an ID token whose signature does not verify with the tenant’s keys', async () => {
        const { page: p, calls } = await tamperedSignIn(async (p) => {
          await p.route(
            (url) => url.pathname === `/t/${acme}/token`,
            async (route) => {
              const res = await route.fetch();
              const body = await res.json();
              const [h, c, sig] = body.id_token.split('.');
              // another signature of the right size: the claims still say all the right things
              const forged = Buffer.from(sig, 'base64url');
              forged[10] ^= 0xff;
              await route.fulfill({
                response: res,
                json: { ...body, id_token: `${h}.${c}.${forged.toString('base64url')}` },
              });
            },
          );
        });
        await p
          .getByRole('alert')
          .getByText(/did not check out/)
          .waitFor();
        expect(calls.filter((c) => c.startsWith('/admin/api/'))).toEqual([]);
      });
    });
  },
);
