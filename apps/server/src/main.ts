import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, type AppConfig } from './config';
import type { FirstStart } from './admin';
import { startServer } from './server';

/** Printed once, on the first start of an empty database, to the terminal: never to the JSON logs. */
function announce(config: AppConfig, first: FirstStart, embedded: boolean): void {
  const lines = [
    '',
    '  Tessera is set up. These credentials are shown once.',
    `  Administrator:     ${first.adminEmail}${first.generatedAdminPassword ? `  password: ${first.generatedAdminPassword}` : '  (password from TESSERA_ADMIN_PASSWORD)'}`,
    `  Automation client: ${first.automationClientId}  secret: ${first.automationClientSecret}`,
    `  Token endpoint:    ${config.publicUrl}/t/system/token (grant_type=client_credentials)`,
  ];
  if (embedded) {
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    const file = join(config.dataDir, 'automation-client.json');
    writeFileSync(
      file,
      JSON.stringify(
        {
          clientId: first.automationClientId,
          clientSecret: first.automationClientSecret,
          tokenEndpoint: `${config.publicUrl}/t/system/token`,
        },
        null,
        2,
      ),
      { mode: 0o600 },
    );
    chmodSync(file, 0o600);
    lines.push(`  The automation client is also saved in ${file} (mode 0600).`);
  }
  process.stdout.write(lines.join('\n') + '\n\n');
}

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  }
  let server;
  try {
    server = await startServer(config, {
      onFirstStart: (first, embedded) => announce(config, first, embedded),
    });
  } catch (err) {
    process.stderr.write(`Tessera could not start: ${(err as Error).message}\n`);
    process.exit(1);
  }
  server.logger.info(
    {
      url: config.publicUrl,
      admin: `${config.publicUrl}/admin`,
      discovery: `${config.publicUrl}/t/system/.well-known/openid-configuration`,
    },
    `Tessera listening on ${config.publicUrl}`,
  );
  const shutdown = (signal: string) => {
    server.logger.info({ signal }, 'shutting down');
    const hard = setTimeout(() => process.exit(1), 10_000);
    hard.unref();
    server.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

void main();
