// Shared pieces of the benchmarks: processes, data, load, measurements. Plain ESM, no build step.
import { spawn } from 'node:child_process';
import { createWriteStream, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import autocannon from 'autocannon';
import pg from 'pg';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export function basic(id, secret) {
  const enc = (s) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64')}`;
}

/** The claims of a JWT, unverified: the driver reads what it was given (a session id). */
export function claimsOf(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
}

export async function http(url, init = {}) {
  const res = await fetch(url, { redirect: 'manual', ...init });
  const text = await res.text();
  let body = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: res.status, headers: res.headers, body, text };
}

/** A fresh database on the server DATABASE_URL names; dropped by the returned function. */
export async function benchDatabase(serverUrl, suffix = '') {
  const name = `tessera_bench_${Date.now().toString(36)}${suffix}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** Peak resident memory (VmHWM) and current RSS of a process, in MB. */
export function memoryOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
    return { peakMb: Math.round(kb('VmHWM') / 1024), rssMb: Math.round(kb('VmRSS') / 1024) };
  } catch {
    return { peakMb: 0, rssMb: 0 };
  }
}

/** CPU time (user + system) a process has used so far, in ms: per-request cost survives a noisy machine. */
export function cpuMsOf(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in ticks of 1/100 s
  } catch {
    return 0;
  }
}

/** Open file descriptors of a process (/proc/<pid>/fd), or -1 when it cannot be read. */
export function openFdsOf(pid) {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return -1;
  }
}

/** Samples of a Prometheus exposition, by `name{labels}` (labels as written), as numbers. */
export async function scrapeMetrics(url) {
  const res = await fetch(url);
  if (res.status !== 200) return {};
  const out = {};
  for (const line of (await res.text()).split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?) (\S+)/.exec(line);
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}

/**
 * Starts a node process and waits for its health URL. With `logFile`, everything the process
 * writes goes there too, whole (the in-memory copy keeps only the start and the last 64 kB).
 */
export async function startProcess(script, env, healthUrl, label, { logFile } = {}) {
  // BENCH_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") goes to every measured process
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const file = logFile ? createWriteStream(logFile) : undefined;
  child.on('close', () => file?.end()); // after the pipes are drained
  // keep the start-up output and the last 64 kB, not every access-log line of a run
  const keep = (d) => {
    file?.write(d);
    output += d.toString();
    if (output.length > 256_000) output = output.slice(0, 64_000) + output.slice(-64_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${label} exited: ${output.slice(-2000)}`);
    try {
      if ((await fetch(healthUrl)).ok)
        return { child, output: () => output, stop: () => stopProcess(child) };
    } catch {}
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`${label} did not become ready: ${output.slice(-2000)}`);
}

export async function stopProcess(child) {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  for (let i = 0; i < 100 && child.exitCode === null; i++) await sleep(100);
  if (child.exitCode === null) child.kill('SIGKILL');
}

/**
 * Runs autocannon and reduces its result to the contract's row: rps, p50/p90/p99 (ms), errors by
 * status, peak RSS of the measured process.
 */
export async function load({
  url,
  connections,
  duration,
  requests,
  pid,
  setupClient,
  method,
  headers,
  body,
  onResponse,
}) {
  const opts = Object.fromEntries(
    Object.entries({
      url,
      connections,
      duration,
      requests,
      setupClient,
      method,
      headers,
      body,
    }).filter(([, v]) => v !== undefined),
  );
  const cpuBefore = pid ? cpuMsOf(pid) : 0;
  const instance = autocannon({ ...opts, pipelining: 1, timeout: 10 });
  // (client, status, bytes, ms): the mixed scenario merges the latencies of its parts
  if (onResponse) instance.on('response', (_client, status, _bytes, ms) => onResponse(status, ms));
  const result = await instance;
  const errors = {};
  for (const [code, v] of Object.entries(result.statusCodeStats ?? {}))
    if (!code.startsWith('2')) errors[code] = v.count;
  if (result.errors) errors.network = result.errors;
  if (result.timeouts) errors.timeout = result.timeouts;
  const cpuMs = pid ? cpuMsOf(pid) - cpuBefore : 0;
  const total = result.requests.total || 1;
  return {
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    errors,
    peakRssMb: pid ? memoryOf(pid).peakMb : 0,
    // not part of latest.json's rows: printed only
    cpuMsPerRequest: Math.round((cpuMs / total) * 100) / 100,
    total: result.requests.total,
  };
}

export function percentile(values, p) {
  const s = [...values].sort((a, b) => a - b);
  if (!s.length) return 0;
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] * 10) / 10;
}

/** Rows and bytes (table, indexes and TOAST) of each table, read through a pg client. */
export async function tableSizes(c, tables) {
  const out = {};
  for (const t of tables) {
    const { rows } = await c.query(
      `SELECT (SELECT count(*) FROM ${t})::int AS rows, pg_total_relation_size('${t}')::bigint AS bytes`,
    );
    out[t] = { rows: rows[0].rows, bytes: Number(rows[0].bytes) };
  }
  return out;
}
