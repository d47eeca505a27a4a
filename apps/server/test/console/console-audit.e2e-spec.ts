import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { parseCsv } from '../support/csv';
import { eventually, useTestServer, type TestServer } from '../support/harness';
import {
  ARTIFACTS,
  CHROMIUM_PATH,
  ensureConsoleBuilt,
  hasChromium,
  launchChromium,
} from './chromium';

const describeWithBrowser = hasChromium ? describe : describe.skip;

/**
 * The audit log as evidence: an administrator's change in the console is in the log with who made
 * it and what changed, the filters narrow to it, and the exported file holds it.
 */
describeWithBrowser(
  `the audit log in the console, in Chromium${hasChromium ? '' : ` (skipped: no Chromium at ${CHROMIUM_PATH})`}`,
  () => {
    beforeAll(() => ensureConsoleBuilt());
    const t: TestServer = useTestServer();
    let browser: Browser;
    let page: Page;
    let acme: string;
    let ada: { id: string; email: string; password: string };
    let clientId: string;

    const shot = (name: string) =>
      page.screenshot({ path: join(ARTIFACTS, `audit-${name}.png`), fullPage: true });
    const heading = (name: string) => page.getByRole('heading', { level: 1, name }).waitFor();
    const table = () => page.getByRole('grid', { name: 'Audit events' });

    beforeAll(async () => {
      ({ slug: acme } = await t.given.tenant({ name: 'Acme' }));
      ada = await t.given.user(acme, { email: 'ada@acme.test', roles: ['admin'] });
      ({ clientId } = await t.given.app(acme, { name: 'Billing' }));
      browser = await launchChromium();
      const ctx = await browser.newContext({
        viewport: { width: 1280, height: 900 },
        acceptDownloads: true,
      });
      page = await ctx.newPage();
      page.setDefaultTimeout(10_000);
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
    });

    it('records a rename made in the console with the administrator’s email and the field changed', async () => {
      await page.goto(`${t.url}/admin/`);
      await page.getByLabel('Tenant').fill(acme);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page.waitForURL(`**/t/${acme}/authorize?**`);
      await page.getByLabel('Email').fill(ada.email);
      await page.getByLabel('Password').fill(ada.password);
      await page.getByRole('button', { name: /sign in/i }).click();
      await heading('Overview');

      await page.goto(`${t.url}/admin/t/${acme}/applications/${clientId}`);
      const name = page.getByLabel('Name', { exact: true });
      await name.fill('Invoices');
      await page.getByRole('button', { name: 'Save changes' }).click();
      await heading('Applications'); // the save is done: the console went back to the list
      await eventually(async () => {
        const [app] = await t.sql<{ name: string }>(
          'SELECT name FROM applications WHERE client_id = $1',
          [clientId],
        );
        expect(app.name).toBe('Invoices');
      });

      await page
        .getByRole('navigation', { name: 'Sections' })
        .getByRole('link', { name: 'Audit log' })
        .click();
      await heading('Audit log');
      const row = table().getByRole('row').filter({ hasText: 'Application changed' });
      await row.waitFor();
      await row.getByRole('link', { name: 'ada@acme.test' }).waitFor();
      await row.getByRole('link', { name: 'Invoices' }).waitFor();
      await row.getByText('name: Billing → Invoices').waitFor();
      // times to the second
      expect(await row.getByRole('rowheader').innerText()).toMatch(/\d{1,2}:\d{2}:\d{2}/);
      // the event's name is the filter's label: one table of labels
      await page
        .getByLabel('Event type')
        .getByRole('option', { name: 'Application changed', exact: true })
        .waitFor({ state: 'attached' });
      expect(await table().innerText()).not.toMatch(/admin\.|sign_in_|_updated/);
      await shot('00-log');
    });

    it('narrows to the change by type, actor, subject and time, in the URL', async () => {
      await page.getByLabel('Event type').selectOption({ label: 'Application changed' });
      await page.waitForURL(/[?&]type=admin\.application_updated/);
      await page.getByLabel('Actor').selectOption({ label: 'ada@acme.test' });
      await page.waitForURL(new RegExp(`[?&]actor=${ada.id}`));
      await page.getByLabel('Subject').selectOption({ label: `Invoices (${clientId})` });
      await page.waitForURL(new RegExp(`[?&]subject=${clientId}`));
      const rows = table().getByRole('row');
      await table().getByRole('row').filter({ hasText: 'Application changed' }).waitFor();
      expect(await rows.count()).toBe(2); // the header and the one change
      // the sign-in is ada's too, but not of this type
      expect(await table().getByText('Sign-in succeeded').count()).toBe(0);

      // a time window after the change holds nothing; a link with the window reads it back
      // on a whole minute: the field then shows no seconds, the case that once left a cleared
      // filter in the URL
      const later = new Date(Math.ceil((Date.now() + 3_600_000) / 60_000) * 60_000).toISOString();
      await page.goto(
        `${t.url}/admin/t/${acme}/audit?type=admin.application_updated&actor=${ada.id}&subject=${clientId}&from=${encodeURIComponent(later)}`,
      );
      await page.getByText('No events match these filters.').waitFor();
      // the field shows the URL's instant in local time, to the second (a browser leaves out
      // seconds that are zero: the normalized form of a datetime-local value)
      const at = new Date(later);
      const pad = (n: number) => String(n).padStart(2, '0');
      const local = `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T${pad(at.getHours())}:${pad(at.getMinutes())}`;
      expect(await page.getByLabel('From').inputValue()).toBe(
        at.getSeconds() ? `${local}:${pad(at.getSeconds())}` : local,
      );
      await page.getByLabel('From').fill('');
      await page.waitForURL((u) => !u.searchParams.has('from'));
      await table().getByRole('row').filter({ hasText: 'Application changed' }).waitFor();
      await shot('01-filtered');
    });

    it('exports the filtered view as CSV and JSON Lines that hold the change', async () => {
      const [csv] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Export CSV' }).click(),
      ]);
      expect(csv.suggestedFilename()).toMatch(new RegExp(`^audit-${acme}-.+\\.csv$`));
      const [header, ...rows] = parseCsv(await readFile((await csv.path())!, 'utf8'));
      expect(rows).toHaveLength(1);
      const row = Object.fromEntries(header.map((h, i) => [h, rows[0][i]]));
      expect(row).toMatchObject({
        type: 'admin.application_updated',
        actor: 'ada@acme.test',
        subject_id: clientId,
        subject: 'Invoices',
      });
      expect(JSON.parse(row.changes)).toEqual([{ field: 'name', from: 'Billing', to: 'Invoices' }]);

      const [jsonl] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Export JSON Lines' }).click(),
      ]);
      expect(jsonl.suggestedFilename()).toMatch(/\.jsonl$/);
      const lines = (await readFile((await jsonl.path())!, 'utf8'))
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l));
      expect(lines).toEqual([
        expect.objectContaining({
          type: 'admin.application_updated',
          actor: expect.objectContaining({ id: ada.id, name: 'ada@acme.test' }),
          subject: expect.objectContaining({ id: clientId, name: 'Invoices' }),
          changes: [{ field: 'name', from: 'Billing', to: 'Invoices' }],
        }),
      ]);
    });
  },
);
