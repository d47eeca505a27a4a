import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig } from './config';
import { announceFirstStart } from './first-start';
import { createLogger } from './http';

const first = {
  adminEmail: 'admin@tessera.local',
  generatedAdminPassword: 'generated-admin-password',
  automationClientId: 'tessera-automation',
  automationClientSecret: 'generated-automation-client-secret',
};

function setUp(isTTY: boolean) {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'tessera-first-start-')), 'data');
  const config = loadConfig({ TESSERA_DATA_DIR: dataDir, PUBLIC_URL: 'https://id.example.com' });
  let log = '';
  const logger = createLogger(
    'info',
    new Writable({
      write(chunk: Buffer, _enc, done) {
        log += chunk.toString('utf8');
        done();
      },
    }),
  );
  let shown = '';
  const terminal = { isTTY, write: (text: string) => (shown += text) };
  return {
    file: join(dataDir, 'first-start.json'),
    run: () => announceFirstStart(config, first, logger, terminal),
    shown: () => shown,
    log: () => log,
  };
}

describe('the first-start announcement', () => {
  it('prints the credentials to an interactive terminal, and keeps them in the 0600 file too', () => {
    const s = setUp(true);
    s.run();
    expect(s.shown()).toContain('password: generated-admin-password');
    expect(s.shown()).toContain('secret: generated-automation-client-secret');
    expect(s.shown()).toContain(`They are also saved in ${s.file} (mode 0600).`);
    expect(statSync(s.file).mode & 0o777).toBe(0o600);
    expect(statSync(join(s.file, '..')).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(s.file, 'utf8'))).toMatchObject({
      adminPassword: 'generated-admin-password',
      clientSecret: 'generated-automation-client-secret',
      tokenEndpoint: 'https://id.example.com/t/system/token',
    });
    expect(s.log()).toBe(''); // the terminal got them; the log has nothing to say
  });

  it('shows nothing without a terminal: the log names the file, and holds no credential', () => {
    const s = setUp(false);
    s.run();
    expect(s.shown()).toBe('');
    expect(JSON.parse(s.log())).toMatchObject({ level: 40, file: s.file });
    expect(s.log()).not.toMatch(/generated-admin-password|generated-automation-client-secret/);
  });
});
