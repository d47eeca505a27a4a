import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { basic, form, freePort, send, type Reply, type TestServer } from '../support/harness';

/**
 * Server processes for tests that need more than one process (several instances, SIGTERM): the
 * built server (`dist/apps/server/main.js`) and `scripts/cluster.mjs`, started on ports picked here
 * and stopped by the test. To be folded with test/support/processes.ts.
 */

export const REPO_ROOT = join(__dirname, '..', '..', '..', '..');
const ENTRY = join(REPO_ROOT, 'dist', 'apps', 'server', 'main.js');
const SOURCES = ['apps/server/src', 'libs/contracts/src'].map((d) => join(REPO_ROOT, d));

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

function isBuildFresh(): boolean {
  try {
    return statSync(ENTRY).mtimeMs >= Math.max(...SOURCES.map(newestMtime));
  } catch {
    return false;
  }
}

/**
 * Builds the server when dist/ is older than its sources, once at a time across test files (a lock
 * directory), so parallel suites never run from a half-written dist/.
 */
export async function ensureServerBuilt(): Promise<void> {
  const lock = join(
    tmpdir(),
    `tessera-build-${createHash('sha256').update(REPO_ROOT).digest('hex').slice(0, 12)}.lock`,
  );
  const until = Date.now() + 300_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > until) throw new Error(`the build lock ${lock} was held for 5 minutes`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    if (isBuildFresh()) return;
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    execFileSync(npm, ['run', 'build:libs'], { cwd: REPO_ROOT, stdio: 'pipe' });
    execFileSync(join(REPO_ROOT, 'node_modules', '.bin', 'nest'), ['build', 'server'], {
      cwd: REPO_ROOT,
      stdio: 'pipe',
    });
  } finally {
    rmdirSync(lock);
  }
}

/** A child process whose output (stdout and stderr, as text) is kept for assertions. */
export class NodeProcess {
  private out = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(readonly child: ChildProcess) {
    child.stdout!.on('data', (c: Buffer) => (this.out += c.toString('utf8')));
    child.stderr!.on('data', (c: Buffer) => (this.out += c.toString('utf8')));
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
  }

  get output(): string {
    return this.out;
  }

  /** The JSON log lines the process wrote (pino), parsed. */
  logs(): Array<Record<string, any>> {
    return this.out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, any>);
  }

  get isRunning(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends the signal and waits for the exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM') {
    if (this.isRunning) this.child.kill(signal);
    return this.exited;
  }
}

/** Only what a server process needs: no Jest or test-state variables leak into it. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LOG_LEVEL: 'info',
    TESSERA_ADMIN_EMAIL: 'root@tessera.test',
    TESSERA_ADMIN_PASSWORD: 'an admin password for tests',
    ...env,
  };
}

function spawnNode(args: string[], env: Record<string, string>): NodeProcess {
  return new NodeProcess(
    spawn(process.execPath, args, {
      cwd: REPO_ROOT,
      env: childEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
}

async function until<T>(what: string, p: NodeProcess, probe: () => Promise<T | undefined>) {
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (!p.isRunning) throw new Error(`${what}: the process exited:\n${p.output.slice(-3000)}`);
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline)
      throw new Error(`${what}: not ready in 120 s:\n${p.output.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface ServerProcess extends NodeProcess {
  url: string;
}

/** One built server process on a free port, ready (/readyz 200) when this resolves. */
export async function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const p = spawnNode([ENTRY], { PORT: String(port), PUBLIC_URL: url, ...env });
  await until('server', p, async () =>
    (await send(`${url}/readyz`)).status === 200 ? true : undefined,
  );
  return Object.assign(p, { url }) as ServerProcess;
}

export interface RunningCluster {
  process: NodeProcess;
  /** The proxy: PUBLIC_URL of every instance. */
  url: string;
  /** Each instance's own address, as the cluster printed it. */
  instances: Array<{ pid: number; url: string }>;
}

/** `scripts/cluster.mjs N` (what `npm run cluster -- N` runs after its build), not waited for. */
export function spawnCluster(n: number, env: Record<string, string>): NodeProcess {
  return spawnNode([join(REPO_ROOT, 'scripts', 'cluster.mjs'), String(n)], env);
}

/** The cluster on a free port, ready (every instance answered /readyz) when this resolves. */
export async function startCluster(
  n: number,
  env: Record<string, string>,
): Promise<RunningCluster> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const p = spawnCluster(n, { PORT: String(port), PUBLIC_URL: url, ...env });
  await until('cluster', p, async () => (/instances behind/.test(p.output) ? true : undefined));
  const instances = [...p.output.matchAll(/cluster: instance \d+ \(pid (\d+)\) at (\S+)/g)].map(
    (m) => ({ pid: Number(m[1]), url: m[2] }),
  );
  return { process: p, url, instances };
}

/** The first-start credentials a server printed (once, on an empty database). */
export function automationCredentials(output: string): { clientId: string; secret: string } {
  const m = /Automation client: (\S+)\s+secret: (\S+)/.exec(output);
  if (!m) throw new Error('no first-start credentials in the output');
  return { clientId: m[1], secret: m[2] };
}

/**
 * The HTTP side of one server address (an instance, or the proxy) in the harness's shape, so
 * harness helpers such as signIn can drive it. Issuers stay PUBLIC_URL's: only the address differs.
 */
export function via(
  address: string,
): Pick<TestServer, 'issuer' | 'token' | 'get' | 'json'> & { url: string } {
  const t = {
    url: address,
    issuer: (slug: string) => `${address}/t/${slug}`,
    get: (path: string, token?: string) =>
      send(`${address}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} }),
    json: (method: string, path: string, body: unknown, token?: string) =>
      send(`${address}${path}`, {
        method,
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    token: (
      slug: string,
      params: Record<string, string | string[]>,
      auth?: { clientId: string; secret: string },
    ): Promise<Reply> =>
      send(`${address}/t/${slug}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          ...(auth ? { authorization: basic(auth.clientId, auth.secret) } : {}),
        },
        body: form(params),
      }),
  };
  return t;
}
