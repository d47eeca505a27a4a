import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import {
  basic,
  eventually,
  form,
  send,
  signIn,
  useTestServer,
  type TestServer,
} from '../support/harness';
import { LogoutReceiver } from '../support/receiver';
import { CB } from '../support/world';
import {
  ARTIFACTS,
  CHROMIUM_PATH,
  ensureConsoleBuilt,
  hasChromium,
  launchChromium,
} from './chromium';

const ADMIN = { email: 'root@tessera.test', password: 'an admin password for tests' };

const describeWithBrowser = hasChromium ? describe : describe.skip;

/**
 * The console offers "revoke every token of this application" (a leaked client
 * secret), says in its confirm dialog how many sessions' sign-ins end and what follows, and the
 * tokens are dead afterwards.
 */
describeWithBrowser(
  `revoking every token of an application from the console${hasChromium ? '' : ` (skipped: no Chromium at ${CHROMIUM_PATH})`}`,
  () => {
    beforeAll(() => ensureConsoleBuilt()); // before the server starts: it serves dist/admin
    const t: TestServer = useTestServer({ env: { TESSERA_ALLOW_PRIVATE_URIS: '1' } });
    const logouts = new LogoutReceiver();
    let browser: Browser;
    let admin: Page;

    beforeAll(async () => {
      await logouts.start();
      browser = await launchChromium();
      admin = await (
        await browser.newContext({ viewport: { width: 1280, height: 900 } })
      ).newPage();
      admin.setDefaultTimeout(10_000);
    }, 120_000);
    afterAll(async () => {
      await browser?.close();
      await logouts.stop();
    });

    it('says how many sessions’ sign-ins end, revokes on confirmation, and the tokens are dead', async () => {
      const { slug } = await t.given.tenant({ name: 'Initech' });
      const rs = await t.given.resourceServer(slug, {
        scopes: [{ name: 'reports:read', description: '' }],
      });
      const web = await t.given.app(slug, {
        name: 'Reports web',
        grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
        redirectUris: [CB],
        backchannelLogoutUri: logouts.url,
        grants: [
          {
            resourceServer: rs.identifier,
            scopes: ['reports:read'],
            flows: ['user', 'client_credentials'],
          },
        ],
      });
      const user = await t.given.user(slug, {
        permissions: [{ resourceServer: rs.identifier, scopes: ['reports:read'] }],
      });
      const sessions = [];
      for (let i = 0; i < 2; i++)
        sessions.push(
          await signIn(t, slug, {
            app: web,
            redirectUri: CB,
            email: user.email,
            password: user.password,
            scope: 'openid reports:read',
          }),
        );
      const cc = (await t.token(slug, { grant_type: 'client_credentials' }, web)).body
        .access_token as string;
      const rsCreds = await t.given.resourceServerCredentials(slug, rs.id);
      const introspect = async (token: string) =>
        (
          await send(`${t.issuer(slug)}/introspect`, {
            method: 'POST',
            headers: {
              'content-type': 'application/x-www-form-urlencoded',
              authorization: basic(rsCreds.clientId, rsCreds.secret),
            },
            body: form({ token }),
          })
        ).body as { active: boolean };
      for (const token of [...sessions.map((s) => s.access_token), cc])
        expect((await introspect(token)).active).toBe(true);

      // the administrator, in the console: the application's page
      await admin.goto(`${t.url}/admin/`);
      await admin.getByRole('button', { name: /Tessera administrator/ }).click();
      await admin.getByLabel('Email').fill(ADMIN.email);
      await admin.getByLabel('Password').fill(ADMIN.password);
      await admin.getByRole('button', { name: /sign in/i }).click();
      await admin.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
      await admin.getByLabel('Tenant').selectOption(slug);
      await admin.waitForURL(`**/admin/t/${slug}/overview`);
      await admin
        .getByRole('navigation', { name: 'Sections' })
        .getByRole('link', { name: 'Applications' })
        .click();
      await admin.getByRole('link', { name: 'Reports web' }).click();
      await admin.getByRole('heading', { level: 1, name: 'Reports web' }).waitFor();

      await admin.getByRole('button', { name: 'Revoke every token' }).click();
      const dialog = admin.getByRole('alertdialog', {
        name: 'Revoke every token of Reports web?',
      });
      await dialog.getByText(/^Ends 2 sessions’ sign-ins to Reports web/).waitFor();
      await dialog.getByText(/it is told through its back-channel logout URI/).waitFor();
      await admin.screenshot({ path: join(ARTIFACTS, '20-revoke-tokens-dialog.png') });
      await dialog.getByRole('button', { name: 'Revoke every token' }).click();
      await dialog.waitFor({ state: 'detached' });
      await admin
        .getByRole('status')
        .getByText(
          'Revoked: 2 sessions’ sign-ins ended (2 sessions ended whole), 2 refresh-token families.',
        )
        .waitFor();

      for (const token of [...sessions.map((s) => s.access_token), cc])
        expect((await introspect(token)).active).toBe(false);
      const [row] = await t.sql(
        `SELECT count(*)::int AS n FROM sessions WHERE id = ANY($1::uuid[]) AND revocation_reason = 'tokens_revoked'`,
        [sessions.map((s) => s.sid)],
      );
      expect(row.n).toBe(2);
      await eventually(() => expect(logouts.tokens).toHaveLength(2));
    });
  },
);
