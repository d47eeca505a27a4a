import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { basic, form, send, type Reply } from './http';
import { eventually, freePort } from './harness';

/**
 * Real server processes for the fault tests: the TypeScript sources run in a child `node` through a
 * small swc require hook (the same transform jest uses), so no build is needed and what runs is what
 * is checked out. A child can be SIGKILLed and restarted on the same database.
 */

const ROOT = resolve(__dirname, '../../../..');

// the hook: .ts files through swc (CommonJS, legacy decorators with metadata), workspace libraries
// from their sources; Nest and jose load through Node's own require(esm)
const HOOK = `
const Module = require('node:module');
const { readFileSync } = require('node:fs');
const { transformSync } = require('@swc/core');
const root = ${JSON.stringify(ROOT)};
const alias = {
  '@tessera/contracts': root + '/libs/contracts/src/index.ts',
  '@tessera/nest-guards': root + '/libs/guards/src/index.ts',
};
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return resolveFilename.call(this, alias[request] ?? request, ...rest);
};
require.extensions['.ts'] = (m, filename) => {
  const { code } = transformSync(readFileSync(filename, 'utf8'), {
    filename,
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
  });
  m._compile(code, filename);
};
require(root + '/apps/server/src/main.ts');
`;

export interface ServerProcessOptions {
  databaseUrl: string;
  env?: Record<string, string>;
  /** Written to a file passed as TESSERA_BOOTSTRAP. */
  bootstrap?: unknown;
}

export interface Automation {
  clientId: string;
  clientSecret: string;
}

/** One server process; `start`, `kill`, `restart` keep the same port, database and environment. */
export class ServerProcess {
  readonly url: string;
  private child?: ChildProcess;
  private out = '';
  /** First-start credentials, parsed from the terminal announcement. */
  automation?: Automation;

  private constructor(
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  static async start(o: ServerProcessOptions): Promise<ServerProcess> {
    const port = await freePort();
    const env: Record<string, string> = {
      NODE_ENV: 'test',
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      DATABASE_URL: o.databaseUrl,
      DATABASE_POOL_MAX: '4',
      LOG_LEVEL: 'warn',
      TESSERA_ADMIN_EMAIL: 'root@tessera.test',
      TESSERA_ADMIN_PASSWORD: 'an admin password for tests',
      ...o.env,
    };
    if (o.bootstrap !== undefined) {
      const file = join(mkdtempSync(join(tmpdir(), 'tessera-faults-')), 'bootstrap.json');
      writeFileSync(file, JSON.stringify(o.bootstrap), { mode: 0o600 });
      env.TESSERA_BOOTSTRAP = file;
    }
    const p = new ServerProcess(port, env);
    await p.launch();
    return p;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get isRunning(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Everything the process wrote to stdout and stderr, across restarts. */
  output(): string {
    return this.out;
  }

  issuer(slug: string): string {
    return `${this.url}/t/${slug}`;
  }

  private async launch(): Promise<void> {
    const child = spawn(process.execPath, ['-e', HOOK], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout!.on('data', (d: Buffer) => (this.out += d.toString('utf8')));
    child.stderr!.on('data', (d: Buffer) => (this.out += d.toString('utf8')));
    try {
      await eventually(async () => {
        if (child.exitCode !== null || child.signalCode !== null) return; // reported below
        const res = await fetch(`${this.url}/readyz`);
        if (res.status !== 200) throw new Error(`readyz ${res.status}`);
      }, 90_000);
    } catch (err) {
      child.kill('SIGKILL');
      throw new Error(`the server did not become ready: ${String(err)}\n${this.out.slice(-3000)}`, {
        cause: err,
      });
    }
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`the server exited (${child.exitCode ?? child.signalCode}):\n${this.out}`);
    const m = /Automation client:\s+(\S+)\s+secret:\s+(\S+)/.exec(this.out);
    if (m && !this.automation) this.automation = { clientId: m[1], clientSecret: m[2] };
  }

  /** Sends a signal and waits until the process is gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(signal);
    await gone;
  }

  /** Same port, same database, same environment. */
  async restart(): Promise<void> {
    await this.kill('SIGKILL');
    await this.launch();
  }

  /** A graceful stop (SIGTERM), SIGKILL if it does not end. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await gone;
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
    if (!this.automation) throw new Error('no first-start credentials: the database was not fresh');
    const res = await this.token(
      'system',
      { grant_type: 'client_credentials' },
      { clientId: this.automation.clientId, secret: this.automation.clientSecret },
    );
    if (res.status !== 200) throw new Error(`admin token: ${res.status} ${res.text}`);
    return res.body.access_token as string;
  }
}

/**
 * A TCP proxy in front of PostgreSQL that a test can cut (connections dropped, new ones refused),
 * stall (bytes held back in both directions) and restore.
 */
export class PgProxy {
  private server?: Server;
  private readonly pairs = new Set<[Socket, Socket]>();
  private stalled = false;
  private readonly held: Array<() => void> = [];

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

  /** Listens again (after cut) and lets held bytes through (after stall). */
  async restore(): Promise<void> {
    this.stalled = false;
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

  private accept(client: Socket): void {
    const upstream = connect(this.target.port, this.target.host);
    const pair: [Socket, Socket] = [client, upstream];
    this.pairs.add(pair);
    const forward = (from: Socket, to: Socket) =>
      from.on('data', (chunk) => {
        if (!this.stalled) to.write(chunk);
        else this.held.push(() => !to.destroyed && to.write(chunk));
      });
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
