import { createHash } from 'node:crypto';
import { authorize, useTestServer } from '../support/harness';
import { CB, world } from '../support/world';

/**
 * BI-84: after every flow, no issued refresh token, code, cookie or client secret
 * is stored in clear — in any table, in any column, in any encoding we can think of.
 */
describe('secrets at rest (BI-84)', () => {
  const t = useTestServer();

  it('keeps no issued secret in clear in any table', async () => {
    const w = await world(t);
    const chosen = 'a-chosen-client-secret-of-at-least-32-chars';
    await t.given.app(w.slug, { clientSecret: chosen });
    const s = await w.signIn();
    const rotated = (await w.refresh(s.refresh_token)).body;
    const pending = await authorize(t, w.slug, {
      browser: s.browser,
      clientId: w.web.clientId,
      redirectUri: CB,
      email: w.user.email,
      password: w.user.password,
    }); // a code not yet redeemed
    const cookie = s.browser.cookies.get('tessera_session')!;
    const values = [
      w.web.secret,
      w.second.secret,
      w.rsCreds.secret,
      chosen,
      w.user.password,
      s.refresh_token,
      rotated.refresh_token,
      pending.code,
      cookie,
      s.access_token.split('.')[2], // a signature is not a secret, but a stored one would mean a stored token
    ];
    for (const v of values) expect(v?.length).toBeGreaterThan(15);
    const variants = (v: string) => [
      v,
      Buffer.from(v).toString('base64'),
      Buffer.from(v).toString('hex'),
      createHash('sha256').update(v).digest('hex'), // an unkeyed hash is as good as clear
      createHash('sha256').update(v).digest('base64url'),
    ];
    const tables: Array<{ name: string }> = await t.sql(
      `SELECT table_name AS name FROM information_schema.tables
       WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`,
    );
    expect(tables.map((x) => x.name)).toEqual(
      expect.arrayContaining(['refresh_tokens', 'authorization_codes', 'sessions', 'applications']),
    );
    for (const { name } of tables) {
      const rows: Array<{ r: string }> = await t.sql(
        `SELECT row_to_json(x)::text AS r FROM "${name}" x`,
      );
      // bytea columns come out as \x… hex: search those too
      const dump = rows.map((r) => r.r).join('\n');
      for (const v of values)
        for (const enc of variants(v))
          expect({ table: name, found: dump.includes(enc) }).toEqual({ table: name, found: false });
    }
  });
});
