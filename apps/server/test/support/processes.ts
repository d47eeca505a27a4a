import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { basic, form, send, type Reply } from './http';
import { freePort } from './harness';
import { databaseEnv } from '../../../../test-setup/test-database';

/**
 * Real server processes, for the tests that need more than the in-process harness: several
 * instances, SIGTERM, SIGKILL and restarts, faults around the database. They run the built server
 * (`dist/apps/server/main.js`), rebuilt first when its sources changed, so what runs is what is
 * checked out and what `npm start` and `scripts/cluster.mjs` run.
 */

export const REPO_ROOT = join(__dirname, '..', '..', '..', '..');
const ENTRY = join(REPO_ROOT, 'dist', 'apps', 'server', 'main.js');

/**
 * Builds the server (and the libraries it loads) when its sources changed since the last build,
 * as `npm start` does (scripts/build-if-stale.mjs), once at a time across test files (a lock
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
    execFileSync(process.execPath, [join(REPO_ROOT, 'scripts', 'build-if-stale.mjs'), 'server'], {
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
    return parseLogs(this.out);
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

function parseLogs(output: string): Array<Record<string, any>> {
  return output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, any>);
}

/** Only what a process needs: no Jest or test-state variables leak into it. */
export function spawnNode(args: string[], env: Record<string, string>): NodeProcess {
  return new NodeProcess(
    spawn(process.execPath, args, {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        TESSERA_ADMIN_EMAIL: 'root@tessera.test',
        TESSERA_ADMIN_PASSWORD: 'an admin password for tests',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
}

/** Polls `probe` until it returns a value; fails at once, with the output, if the process exits. */
export async function whenReady<T>(
  what: string,
  p: NodeProcess,
  probe: () => Promise<T | undefined>,
): Promise<T> {
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

/**
 * The automation client a server set up on an empty database, from the 0600 file it leaves in its
 * TESSERA_DATA_DIR (a server process's output is a log: it never shows them).
 */
export function automationCredentials(dataDir: string): { clientId: string; secret: string } {
  let first: { clientId: string; clientSecret: string };
  try {
    first = JSON.parse(readFileSync(join(dataDir, 'first-start.json'), 'utf8'));
  } catch {
    throw new Error(`no first-start credentials in ${dataDir}: the database was not fresh`);
  }
  return { clientId: first.clientId, secret: first.clientSecret };
}

export interface ServerProcessOptions {
  databaseUrl: string;
  /** On top of the defaults (LOG_LEVEL warn, a pool of 4, NODE_ENV test). */
  env?: Record<string, string>;
  /** Written to a file passed as TESSERA_BOOTSTRAP. */
  bootstrap?: unknown;
  /** The port to listen on (default: a free one), e.g. one a proxy in front of it forwards to. */
  port?: number;
}

/** A fresh TESSERA_DATA_DIR, where a first start leaves its credentials. */
export function dataDir(): string {
  return mkdtempSync(join(tmpdir(), 'tessera-data-'));
}

/**
 * One built server process on a free port; `start` resolves once /readyz answers 200. `kill`,
 * `restart` and `stop` keep the same port, database and environment.
 */
export class ServerProcess {
  readonly url: string;
  private current?: NodeProcess;
  private earlier = '';

  private constructor(
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  static async start(o: ServerProcessOptions): Promise<ServerProcess> {
    await ensureServerBuilt();
    const port = o.port ?? (await freePort());
    const env: Record<string, string> = {
      NODE_ENV: 'test',
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      ...databaseEnv(o.databaseUrl),
      DATABASE_POOL_MAX: '4',
      LOG_LEVEL: 'warn',
      TESSERA_REQUEST_DEADLINE_MS: '30000', // as in the harness: the deadline's own tests set theirs
      TESSERA_DATA_DIR: dataDir(),
      ...o.env,
    };
    if (o.bootstrap !== undefined) {
      const file = join(mkdtempSync(join(tmpdir(), 'tessera-server-')), 'bootstrap.json');
      writeFileSync(file, JSON.stringify(o.bootstrap), { mode: 0o600 });
      env.TESSERA_BOOTSTRAP = file;
    }
    const p = new ServerProcess(port, env);
    await p.launch();
    return p;
  }

  get pid(): number | undefined {
    return this.current?.child.pid;
  }

  get isRunning(): boolean {
    return !!this.current?.isRunning;
  }

  /** How the current process ended (pending while it runs). */
  get exited(): NodeProcess['exited'] {
    if (!this.current) throw new Error('the server was never started');
    return this.current.exited;
  }

  /** Everything the process wrote to stdout and stderr, across restarts. */
  get output(): string {
    return this.earlier + (this.current?.output ?? '');
  }

  /** The JSON log lines (pino), across restarts, parsed. */
  logs(): Array<Record<string, any>> {
    return parseLogs(this.output);
  }

  /** First-start credentials, from the file the first start left in the data directory. */
  get automation(): { clientId: string; secret: string } {
    return automationCredentials(this.dataDir);
  }

  get dataDir(): string {
    return this.env.TESSERA_DATA_DIR;
  }

  issuer(slug: string): string {
    return `${this.url}/t/${slug}`;
  }

  private async launch(): Promise<void> {
    if (this.current) this.earlier += this.current.output;
    const p = spawnNode([ENTRY], this.env);
    this.current = p;
    try {
      await whenReady('server', p, async () =>
        (await send(`${this.url}/readyz`)).status === 200 ? true : undefined,
      );
    } catch (err) {
      await p.stop('SIGKILL'); // never leave a half-started server behind
      throw err;
    }
  }

  /** Sends a signal and waits until the process is gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await this.current?.stop(signal);
  }

  /** Same port, same database, same environment. */
  async restart(): Promise<void> {
    await this.kill('SIGKILL');
    await this.launch();
  }

  /** A graceful stop (SIGTERM), SIGKILL if it does not end. */
  async stop(): Promise<void> {
    const p = this.current;
    if (!p?.isRunning) return;
    const timer = setTimeout(() => p.child.kill('SIGKILL'), 15_000);
    await p.stop('SIGTERM');
    clearTimeout(timer);
  }

  token(
    slug: string,
    params: Record<string, string | string[]>,
    auth?: { clientId: string; secret: string },
  ): Promise<Reply> {
    return send(`${this.issuer(slug)}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(auth ? { authorization: basic(auth.clientId, auth.secret) } : {}),
      },
      body: form(params),
    });
  }

  /** A client_credentials token of the automation client (every admin scope). */
  async adminToken(): Promise<string> {
    const res = await this.token('system', { grant_type: 'client_credentials' }, this.automation);
    if (res.status !== 200) throw new Error(`admin token: ${res.status} ${res.text}`);
    return res.body.access_token as string;
  }
}

/**
 * A TCP proxy in front of PostgreSQL (or any TCP server) that a test can cut (connections dropped,
 * new ones refused), stall (bytes held back in both directions), slow down (a delay on every
 * chunk), cut at one transaction's COMMIT, and restore.
 */
export class PgProxy {
  private server?: Server;
  private readonly pairs = new Set<[Socket, Socket]>();
  private stalled = false;
  private readonly held: Array<() => void> = [];
  private latencyMs = 0;
  private commitCut?: {
    marker: string;
    commit: 'sent' | 'withheld';
    armed?: Socket;
    done: () => void;
  };

  private constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  /** Proxies to the host and port of `databaseUrl`; `url` is the same URL through the proxy. */
  static async start(databaseUrl: string): Promise<PgProxy> {
    const u = new URL(databaseUrl);
    const proxy = new PgProxy(await freePort(), {
      host: u.hostname,
      port: Number(u.port || 5432),
    });
    await proxy.restore();
    return proxy;
  }

  /** `databaseUrl` with its host and port replaced by the proxy's. */
  through(databaseUrl: string): string {
    const u = new URL(databaseUrl);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  get connections(): number {
    return this.pairs.size;
  }

  /**
   * Every chunk, in both directions, is held this long before it is passed on (order kept): a
   * round trip through the proxy costs twice this. 0 (restore) passes chunks on at once again.
   */
  delay(ms: number): void {
    this.latencyMs = ms;
  }

  /**
   * Cuts the first connection that sends `marker` (a statement of the transaction under test) at
   * that transaction's COMMIT: `sent` passes the COMMIT on and then closes the connection (the
   * database commits, the server never hears so); `withheld` closes it without the COMMIT (the
   * database rolls back). Resolves once the cut happened.
   */
  cutAtCommit(marker: string, commit: 'sent' | 'withheld'): Promise<void> {
    return new Promise((done) => (this.commitCut = { marker, commit, done }));
  }

  /** Listens again (after cut) and lets held bytes through (after stall); no delay any more. */
  async restore(): Promise<void> {
    this.stalled = false;
    this.latencyMs = 0;
    for (const flush of this.held.splice(0)) flush();
    if (this.server) return;
    const server = createServer((client) => this.accept(client));
    await new Promise<void>((r, j) => {
      server.once('error', j);
      server.listen(this.port, '127.0.0.1', () => r());
    });
    this.server = server;
  }

  /** The database "goes away": open connections are dropped, new ones refused. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    const closed = server ? new Promise<void>((r) => server.close(() => r())) : undefined;
    // destroy(), not resetAndDestroy(): a reset racing a pending shutdown leaves a TCP handle that
    // never closes, and the test process then spins at exit (libp2p/js-libp2p#3597)
    for (const [a, b] of this.pairs) {
      a.destroy();
      b.destroy();
    }
    this.pairs.clear();
    await closed;
  }

  /** Connections stay open but nothing gets through until restore(). */
  stall(): void {
    this.stalled = true;
  }

  async stop(): Promise<void> {
    await this.cut();
  }

  /** True when this chunk was the armed transaction's COMMIT and the connection is now cut. */
  private cutsHere(client: Socket, upstream: Socket, chunk: Buffer): boolean {
    const c = this.commitCut;
    if (!c) return false;
    if (!c.armed && chunk.includes(c.marker)) c.armed = client;
    // a simple-protocol Query message ('Q', length, text, NUL) whose text is COMMIT
    if (c.armed !== client || chunk[0] !== 0x51 || !/^COMMIT\b/i.test(chunk.toString('utf8', 5)))
      return false;
    this.commitCut = undefined;
    if (c.commit === 'sent')
      upstream.end(chunk); // written, then FIN: the database reads it first
    else upstream.destroy();
    client.destroy();
    c.done();
    return true;
  }

  private accept(client: Socket): void {
    const upstream = connect(this.target.port, this.target.host);
    const pair: [Socket, Socket] = [client, upstream];
    this.pairs.add(pair);
    const forward = (from: Socket, to: Socket) => {
      // chunks wait their delay one after the other, so a change of delay never reorders them
      let queue = Promise.resolve();
      let queued = 0;
      const pass = (chunk: Buffer) => {
        if (to.destroyed) return;
        if (!this.stalled) to.write(chunk);
        else this.held.push(() => !to.destroyed && to.write(chunk));
      };
      from.on('data', (chunk: Buffer) => {
        if (from === client && this.cutsHere(client, upstream, chunk)) return;
        if (this.latencyMs === 0 && queued === 0) return pass(chunk);
        const due = Date.now() + this.latencyMs;
        queued++;
        queue = queue
          .then(() => new Promise((r) => setTimeout(r, Math.max(0, due - Date.now()))))
          .then(() => {
            queued--;
            pass(chunk);
          });
      });
    };
    forward(client, upstream);
    forward(upstream, client);
    const end = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  }
}
