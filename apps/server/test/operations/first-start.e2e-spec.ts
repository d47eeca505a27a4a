import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  createTestDatabase,
  isServerMode,
  type TestDatabase,
} from '../../../../test-setup/test-database';
import { EMBEDDED_POOL_MAX } from '../../src/database';
import { authorize } from '../support/harness';
import { ServerProcess } from '../support/processes';
import { via } from '../support/cluster';

/**
 * Issue 16 §8: the first-start credentials (a generated administrator password, the automation
 * client's secret) never reach stdout unless it is an interactive terminal: under docker compose or
 * systemd stdout is the log stream. They go to a 0600 file in TESSERA_DATA_DIR, and the log says
 * where it is.
 */
describe('first-start credentials of a server whose stdout is not a terminal', () => {
  const env = {
    LOG_LEVEL: 'info',
    TESSERA_ADMIN_EMAIL: 'first@tessera.test',
    TESSERA_ADMIN_PASSWORD: '', // unset: generated
    // on the embedded test database, one connection, as the embedded mode itself uses
    ...(isServerMode() ? {} : { DATABASE_POOL_MAX: String(EMBEDDED_POOL_MAX) }),
  };
  const dbs: TestDatabase[] = [];
  let server: ServerProcess | undefined;

  afterAll(async () => {
    await server?.kill('SIGKILL');
    for (const db of dbs) await db.drop();
  });

  it('writes no credential to its output (the log), only where they are: a 0600 file that holds them', async () => {
    const db = await createTestDatabase();
    dbs.push(db);
    server = await ServerProcess.start({ databaseUrl: db.url, env });
    const file = join(server.dataDir, 'first-start.json');
    const first = JSON.parse(readFileSync(file, 'utf8'));
    expect(first).toEqual({
      adminEmail: 'first@tessera.test',
      adminPassword: expect.stringMatching(/^[A-Za-z0-9_-]{24}$/),
      clientId: 'tessera-automation',
      clientSecret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      tokenEndpoint: `${server.url}/t/system/token`,
    });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    for (const secret of [first.adminPassword, first.clientSecret])
      expect(server.output).not.toContain(secret);
    expect(server.output).not.toMatch(/Tessera is set up|secret:|password:/);
    expect(server.logs().filter((l) => String(l.msg).startsWith('First start:'))).toEqual([
      expect.objectContaining({ file, level: 40 }),
    ]);
    // what the file holds works: the automation client gets a token, the administrator signs in
    const s = via(server.url);
    const token = await s.token(
      'system',
      { grant_type: 'client_credentials' },
      { clientId: first.clientId, secret: first.clientSecret },
    );
    expect(token.status).toBe(200);
    const signedIn = await authorize(s, 'system', {
      clientId: 'tessera-console',
      redirectUri: `${server.url}/admin/callback`,
      email: first.adminEmail,
      password: first.adminPassword,
    });
    expect(signedIn.code).toEqual(expect.any(String));
  }, 180_000);

  it('refuses to start when it can neither show them nor save them, and shows none', async () => {
    const db = await createTestDatabase();
    dbs.push(db);
    // a path under a file: no directory can be made there
    const failed = ServerProcess.start({
      databaseUrl: db.url,
      env: { ...env, TESSERA_DATA_DIR: '/dev/null/tessera' },
    });
    // a server that starts anyway must not outlive the test
    void failed.then(
      (p) => p.kill('SIGKILL'),
      () => undefined,
    );
    await expect(failed).rejects.toThrow(
      /the process exited:[\s\S]*could not be saved to \/dev\/null\/tessera\/first-start\.json \(ENOTDIR\)/,
    );
    await expect(failed).rejects.not.toThrow(/secret:|password:|Tessera is set up/);
  }, 180_000);
});
