import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { loadConfig } from '../../src/config';
import { MIGRATIONS } from '../../src/database';
import { createTestDatabase, isServerMode } from '../../../../test-setup/test-database';
import { basic, form, send, startTestServer } from '../support/harness';

describe('configuration', () => {
  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ PUBLIC_URL: 'not a url' }, 'PUBLIC_URL'],
    [{ PUBLIC_URL: 'ftp://example.com' }, 'PUBLIC_URL'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ TESSERA_MASTER_KEY: 'short' }, 'TESSERA_MASTER_KEY'],
    [{ TESSERA_ALLOW_PRIVATE_URIS: 'yes' }, 'TESSERA_ALLOW_PRIVATE_URIS'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
  ])('refuses %j naming %s', (env, name) => {
    expect(() => loadConfig(env)).toThrow(new RegExp(`^Invalid configuration:\\n  ${name}: `));
  });

  it('defaults PORT to 3000 and PUBLIC_URL to http://localhost:$PORT', () => {
    expect(loadConfig({})).toMatchObject({
      port: 3000,
      publicUrl: 'http://localhost:3000',
      databaseUrl: undefined,
    });
    expect(loadConfig({ PORT: '4000', PUBLIC_URL: 'https://id.example.com/' })).toMatchObject({
      port: 4000,
      publicUrl: 'https://id.example.com',
    });
  });
});

describe('the embedded database', () => {
  it('keeps tenants, applications and keys across a restart, in .data with a 0600 master key', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tessera-data-'));
    const first = await startTestServer(undefined, { TESSERA_DATA_DIR: dataDir });
    let jwks: unknown;
    let automation: { id: string; secret: string };
    try {
      expect(first.server.embedded).toBe(true);
      expect(first.logs.text()).toContain('Using the embedded PostgreSQL (PGlite)');
      automation = {
        id: first.server.firstStart!.automationClientId,
        secret: first.server.firstStart!.automationClientSecret,
      };
      const token = (
        await send(`${first.url}/t/system/token`, {
          method: 'POST',
          headers: {
            authorization: basic(automation.id, automation.secret),
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: form({ grant_type: 'client_credentials' }),
        })
      ).body.access_token;
      const created = await send(`${first.url}/admin/api/tenants`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ slug: 'kept', name: 'Kept' }),
      });
      expect(created.status).toBe(201);
      jwks = (await send(`${first.url}/t/kept/jwks.json`)).body;
    } finally {
      await first.server.stop();
    }
    expect(statSync(join(dataDir, 'master.key')).mode & 0o777).toBe(0o600);

    const second = await startTestServer(undefined, { TESSERA_DATA_DIR: dataDir });
    try {
      expect(second.server.firstStart).toBeUndefined();
      expect((await send(`${second.url}/t/kept/jwks.json`)).body).toEqual(jwks);
      const again = await send(`${second.url}/t/system/token`, {
        method: 'POST',
        headers: {
          authorization: basic(automation.id, automation.secret),
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: form({ grant_type: 'client_credentials' }),
      });
      expect(again.status).toBe(200);
    } finally {
      await second.server.stop();
    }
  });
});

const onServer = () => (isServerMode() ? describe : describe.skip);

onServer()(
  'several instances on one PostgreSQL server (skipped on the embedded database: one process owns it)',
  () => {
    it('two instances started together on an empty database both come up; one migrates, once', async () => {
      const db = await createTestDatabase({ empty: true });
      try {
        const [a, b] = await Promise.all([startTestServer(db.url), startTestServer(db.url)]);
        try {
          expect((await send(`${a.url}/readyz`)).status).toBe(200);
          expect((await send(`${b.url}/readyz`)).status).toBe(200);
          expect([a.server.firstStart, b.server.firstStart].filter(Boolean)).toHaveLength(1);
          const pg = new Client({ connectionString: db.url });
          await pg.connect();
          try {
            expect(
              (await pg.query('SELECT name FROM migrations ORDER BY id')).rows.map((r) => r.name),
            ).toEqual(MIGRATIONS.map((m) => m.name));
            expect(
              (await pg.query(`SELECT count(*)::int AS n FROM tenants WHERE slug = 'system'`))
                .rows[0].n,
            ).toBe(1);
            expect(
              (await pg.query(`SELECT count(*)::int AS n FROM server_secrets`)).rows[0].n,
            ).toBe(3);
          } finally {
            await pg.end();
          }
          // both instances share the secrets: a client secret set through A verifies through B
          const first = (a.server.firstStart ?? b.server.firstStart)!;
          const res = await send(`${b.url}/t/system/token`, {
            method: 'POST',
            headers: {
              authorization: basic(first.automationClientId, first.automationClientSecret),
              'content-type': 'application/x-www-form-urlencoded',
            },
            body: 'grant_type=client_credentials',
          });
          expect(res.status).toBe(200);
        } finally {
          await Promise.all([a.server.stop(), b.server.stop()]);
        }
      } finally {
        await db.drop();
      }
    });

    it('wraps the server secrets when TESSERA_MASTER_KEY is set, and refuses to start without it afterwards', async () => {
      const db = await createTestDatabase({ empty: true });
      const key = Buffer.alloc(32, 7).toString('base64url');
      try {
        const a = await startTestServer(db.url, { TESSERA_MASTER_KEY: key });
        await a.server.stop();
        const pg = new Client({ connectionString: db.url });
        await pg.connect();
        expect(
          (await pg.query('SELECT bool_and(is_wrapped) AS w FROM server_secrets')).rows[0].w,
        ).toBe(true);
        await pg.end();
        await expect(startTestServer(db.url)).rejects.toThrow(/TESSERA_MASTER_KEY/);
        await expect(
          startTestServer(db.url, {
            TESSERA_MASTER_KEY: Buffer.alloc(32, 9).toString('base64url'),
          }),
        ).rejects.toThrow(/TESSERA_MASTER_KEY: does not unwrap/);
        const again = await startTestServer(db.url, { TESSERA_MASTER_KEY: key });
        await again.server.stop();
      } finally {
        await db.drop();
      }
    });
  },
);
