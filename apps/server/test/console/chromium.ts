import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { consoleDir } from '../../src/admin';

/** Debian's Chromium (CI installs it); CHROMIUM_PATH points elsewhere. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM_PATH);

const ROOT = join(__dirname, '../../../..');
export const ARTIFACTS = join(ROOT, 'test-artifacts/console');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** The server serves dist/admin; build it once when a test run starts without it. */
export function ensureConsoleBuilt(): void {
  if (!consoleDir())
    execFileSync('npm', ['run', 'build:admin'], { cwd: ROOT, stdio: 'inherit', timeout: 180_000 });
  mkdirSync(ARTIFACTS, { recursive: true });
}
