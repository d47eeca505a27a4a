import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { FirstStart } from './admin';
import type { AppConfig } from './config';

/** Where the credentials may be shown: stdout, when it is an interactive terminal. */
interface Terminal {
  isTTY?: boolean;
  write(text: string): unknown;
}

/** The first-start credentials' file, in TESSERA_DATA_DIR: readable by the server's user only. */
const FIRST_START_FILE = 'first-start.json';

/**
 * The first-start credentials (generated on the first start of an empty database) are written to
 * a 0600 file and printed only to an interactive terminal: when stdout is not one it is the log
 * stream (docker compose, systemd, a log shipper), which must never carry a secret, and the log
 * only says where the file is. Without a terminal and without the file they would be lost, so the
 * start fails instead, while starting over still costs nothing (the database was empty).
 */
export function announceFirstStart(
  config: AppConfig,
  first: FirstStart,
  logger: Logger,
  terminal: Terminal = process.stdout,
): void {
  const file = join(config.dataDir, FIRST_START_FILE);
  let unsaved: string | undefined;
  try {
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    const credentials = {
      adminEmail: first.adminEmail,
      ...(first.generatedAdminPassword ? { adminPassword: first.generatedAdminPassword } : {}),
      clientId: first.automationClientId,
      clientSecret: first.automationClientSecret,
      tokenEndpoint: `${config.publicUrl}/t/system/token`,
    };
    // created 0600, and never widened: an existing file (a database emptied by hand) is replaced
    rmSync(file, { force: true });
    writeFileSync(file, JSON.stringify(credentials, null, 2), { mode: 0o600, flag: 'wx' });
  } catch (err) {
    unsaved = (err as NodeJS.ErrnoException).code ?? 'an error';
  }
  if (terminal.isTTY) {
    const lines = [
      '',
      '  Tessera is set up. These credentials are shown once.',
      `  Administrator:     ${first.adminEmail}${first.generatedAdminPassword ? `  password: ${first.generatedAdminPassword}` : '  (password from TESSERA_ADMIN_PASSWORD)'}`,
      `  Automation client: ${first.automationClientId}  secret: ${first.automationClientSecret}`,
      `  Token endpoint:    ${config.publicUrl}/t/system/token (grant_type=client_credentials)`,
      `  Admin console:     ${config.publicUrl}/admin → “Sign in as a Tessera administrator (system)”`,
      unsaved
        ? `  They could not be saved to ${file} (${unsaved}): keep them now.`
        : `  They are also saved in ${file} (mode 0600).`,
    ];
    terminal.write(lines.join('\n') + '\n\n');
    return;
  }
  if (unsaved)
    throw new Error(
      `the first-start credentials could not be saved to ${file} (${unsaved}), and stdout is not a terminal to show them on. ` +
        'This was the first start of an empty database: empty it again, then start with a writable TESSERA_DATA_DIR, or in a terminal.',
    );
  logger.warn(
    { file },
    `First start: the administrator's and the automation client's credentials are in ${file} (mode 0600), not in this log`,
  );
}
