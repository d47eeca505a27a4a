// npm run cluster -- N: N Tessera server processes on one PostgreSQL (DATABASE_URL) behind one
// round-robin HTTP proxy on PORT, all with the same PUBLIC_URL. SIGTERM or SIGINT stops them all.
// `npm run cluster` builds first; `node scripts/cluster.mjs N` runs the existing build.
// See docs/operations.md ("Running several instances").
import { spawn } from 'node:child_process';
import { createServer as createHttpServer, Agent } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createProxyServer } from 'http-proxy-3';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist', 'apps', 'server', 'main.js');
const READY_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 12_000; // each instance exits within 10 s (the stop contract); then SIGKILL

function fail(message) {
  process.stderr.write(`cluster: ${message}\n`);
  process.exit(1);
}

const n = Number(process.argv[2] ?? 2);
if (!Number.isInteger(n) || n < 1 || n > 64)
  fail('usage: npm run cluster -- N   (N instances, 1–64)');
if (!process.env.DATABASE_URL)
  fail(
    'DATABASE_URL is not set. Several instances need one PostgreSQL server they all reach; the ' +
      'embedded database (PGlite) serves a single process. Example: ' +
      'DATABASE_URL=postgres://postgres@127.0.0.1:5432/tessera npm run cluster -- 3',
  );
if (!existsSync(entry)) fail(`${entry} is missing: run \`npm run build\` (npm run cluster does)`);

const port = Number(process.env.PORT ?? 3000);
const publicUrl = (process.env.PUBLIC_URL || `http://localhost:${port}`).replace(/\/+$/, '');

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

/** @type {Array<{ index: number, port: number, url: string, child: import('node:child_process').ChildProcess, exited: Promise<number | null>, isLive: boolean }>} */
const instances = [];
let stopping = false;

async function startInstance(index) {
  const p = await freePort();
  // every instance advertises the proxy's URL: tokens, discovery and redirects name PUBLIC_URL
  const child = spawn(process.execPath, [entry], {
    cwd: root,
    env: { ...process.env, PORT: String(p), PUBLIC_URL: publicUrl },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const instance = { index, port: p, url: `http://127.0.0.1:${p}`, child, isLive: false };
  instance.exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      instance.isLive = false;
      if (!stopping)
        process.stderr.write(
          `cluster: instance ${index} (pid ${child.pid}) exited (${signal ?? `code ${code}`}); ` +
            'it is out of the rotation\n',
        );
      resolve(code);
      if (!stopping && !instances.some((i) => i.isLive)) void stop(1);
    }),
  );
  instances.push(instance);
  return instance;
}

async function waitReady(instance) {
  const until = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < until) {
    if (instance.child.exitCode !== null || instance.child.signalCode !== null)
      throw new Error(`instance ${instance.index} exited during start-up`);
    try {
      const res = await fetch(`${instance.url}/readyz`);
      await res.arrayBuffer();
      if (res.status === 200) {
        instance.isLive = true;
        return;
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`instance ${instance.index} was not ready within ${READY_TIMEOUT_MS / 1000} s`);
}

const agent = new Agent({ keepAlive: true, maxSockets: 512 });
// xfwd: the instances trust a loopback proxy's X-Forwarded-For, so sign-in throttling sees the client
const proxy = createProxyServer({ xfwd: true, agent });
let next = 0;
proxy.on('error', (err, req, res) => {
  // res is a socket for upgrades; Tessera has none
  if (!res || typeof res.writeHead !== 'function' || res.headersSent) {
    res?.destroy?.();
    return;
  }
  res.writeHead(502, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(
    JSON.stringify({
      error: 'temporarily_unavailable',
      error_description: 'No server instance answered',
    }),
  );
});

const server = createHttpServer((req, res) => {
  const live = instances.filter((i) => i.isLive);
  if (!live.length || stopping) {
    res.writeHead(503, { 'content-type': 'application/json', connection: 'close' });
    res.end(JSON.stringify({ error: 'temporarily_unavailable' }));
    return;
  }
  const target = live[next++ % live.length];
  // SSE (the revocation feed) streams through: the proxy pipes the response as it comes
  proxy.web(req, res, { target: target.url });
});

async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  process.stderr.write('cluster: stopping every instance (SIGTERM)\n');
  server.close();
  for (const i of instances) if (i.child.exitCode === null) i.child.kill('SIGTERM');
  const killer = setTimeout(() => {
    for (const i of instances) if (i.child.exitCode === null) i.child.kill('SIGKILL');
  }, STOP_TIMEOUT_MS);
  const codes = await Promise.all(instances.map((i) => i.exited));
  clearTimeout(killer);
  server.closeAllConnections();
  agent.destroy();
  const failed = codes.filter((c) => c !== 0).length;
  process.stderr.write(
    `cluster: ${instances.length - failed} of ${instances.length} instances stopped cleanly\n`,
  );
  process.exit(code || (failed ? 1 : 0));
}

// stop() runs once; a repeated signal (Ctrl-C reaches the whole process group) changes nothing
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());

try {
  // started together on purpose: migrations and first-start setup take turns under advisory locks
  const started = await Promise.all(Array.from({ length: n }, (_, i) => startInstance(i + 1)));
  await Promise.all(started.map(waitReady));
} catch (err) {
  process.stderr.write(`cluster: ${err.message}\n`);
  await stop(1);
}
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(port, resolve);
}).catch((err) => {
  process.stderr.write(`cluster: cannot listen on ${port}: ${err.message}\n`);
  return stop(1);
});
for (const i of instances)
  process.stdout.write(`cluster: instance ${i.index} (pid ${i.child.pid}) at ${i.url}\n`);
process.stdout.write(
  `cluster: ${n} instances behind ${publicUrl} (round robin on port ${port}); SIGTERM or Ctrl-C stops them all\n`,
);
