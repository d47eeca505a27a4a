// npm run bench:churn -- [--duration 30m] [--rate 30] [--clients 150] [--sample 60s]
//                        [--interval 30] [--history-days 0.002] [--audit-days 0.003]
//                        [--vacuum auto|sample|never]
// Storage under churn, with the retention job on: a server on a fresh database of DATABASE_URL with
// short lifetimes (access tokens 60 s, sessions 3 min), a short retention interval and a history
// window shortened to minutes. An open-loop driver at a modest fixed rate keeps `--clients` signed
// in: each refreshes in turn (consumed refresh tokens pile up in live families), signs in again when
// its session has expired, and now and then revokes an access token (an `access_token` event), its
// refresh token (a `family` event) or has its session ended by an administrator (a `session`
// event). Every `--sample` it prints each table's rows and bytes (pg_total_relation_size) and what
// the job deleted (tessera_retention_rows_pruned_total); at the end, the first, middle and last
// sample side by side. Deleted rows' space is reused only once vacuumed: with the server's
// autovacuum off, `--vacuum auto` (the default) runs VACUUM on the tables after every sample, as
// autovacuum would. Writes bench/results/churn.json. bench/README.md describes the case.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { basic, benchDatabase, claimsOf, http, scrapeMetrics, sleep, tableSizes } from '../lib.mjs';
import { adminToken, signIn, startServer, WEB } from '../setup.mjs';

const TABLES = [
  'sessions',
  'session_surfaces',
  'refresh_token_families',
  'refresh_tokens',
  'authorization_codes',
  'revocation_events',
  'backchannel_deliveries',
  'rate_limit_counters',
  'audit_events',
];
/** Shares of the operations that are not refreshes (per 100). */
const REVOKE_ACCESS = 3;
const REVOKE_REFRESH = 2;
const END_SESSION = 1;
const SIGN_IN_MAX_PER_SECOND = 3;

function seconds(v, name) {
  const m = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(v ?? '');
  if (!m) throw new Error(`${name}: a number of seconds, or 30s, 10m, 1h (got ${v})`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600 }[m[2] ?? 's'];
}

function options(argv) {
  const o = {
    duration: 1800,
    rate: 30,
    clients: 150,
    sample: 60,
    interval: 30,
    historyDays: '0.002',
    auditDays: '0.003',
    vacuum: 'auto',
  };
  for (let i = 0; i < argv.length; i += 2) {
    const [k, v] = [argv[i], argv[i + 1]];
    if (k === '--duration') o.duration = seconds(v, k);
    else if (k === '--rate') o.rate = Number(v);
    else if (k === '--clients') o.clients = Number(v);
    else if (k === '--sample') o.sample = seconds(v, k);
    else if (k === '--interval') o.interval = Number(v);
    else if (k === '--history-days') o.historyDays = v;
    else if (k === '--audit-days') o.auditDays = v;
    else if (k === '--vacuum' && ['auto', 'sample', 'never'].includes(v)) o.vacuum = v;
    else throw new Error(`unknown option ${k}`);
  }
  return o;
}

async function pruned(url) {
  const m = await scrapeMetrics(`${url}/metrics`);
  const out = {};
  for (const [k, v] of Object.entries(m)) {
    const hit = /^tessera_retention_rows_pruned_total\{table="([^"]+)"\}$/.exec(k);
    if (hit) out[hit[1]] = v;
  }
  return {
    pruned: out,
    lastRun: m.tessera_retention_last_run_timestamp_seconds ?? 0,
    runs: m.tessera_retention_run_duration_seconds_count ?? 0,
    runSeconds: m.tessera_retention_run_duration_seconds_sum ?? 0,
  };
}

const kb = (b) => `${(b / 1024).toFixed(0)} kB`;

function printSample(s) {
  const at = `t=${Math.round(s.t)} s`;
  const cells = TABLES.map(
    (t) => `${t}=${s.tables[t].rows}/${kb(s.tables[t].bytes)}(-${s.job.pruned[t] ?? 0})`,
  );
  console.log(
    `[churn] ${at} ops=${s.ops} errors=${s.errors} runs=${s.job.runs} ${cells.join(' ')}`,
  );
}

async function main() {
  const o = options(process.argv.slice(2));
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl)
    throw new Error('DATABASE_URL: a PostgreSQL server (the case makes its own database)');
  const db = await benchDatabase(serverUrl, '_churn');
  const server = await startServer(
    db.url,
    {
      TESSERA_RETENTION_INTERVAL_SECONDS: String(o.interval),
      TESSERA_RETENTION_SESSION_HISTORY_DAYS: o.historyDays,
      TESSERA_RETENTION_AUDIT_DAYS: o.auditDays,
    },
    {
      policy: {
        accessTokenTtl: '60s',
        refreshIdleTtl: '2m',
        refreshAbsoluteTtl: '3m',
        sessionIdleTtl: '2m',
        sessionAbsoluteTtl: '3m',
      },
    },
  );
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  const autovacuum = (await c.query('SHOW autovacuum')).rows[0].autovacuum;
  const vacuumEachSample = o.vacuum === 'sample' || (o.vacuum === 'auto' && autovacuum === 'off');
  const issuer = server.issuer();
  let admin = await adminToken(server);
  let adminAt = Date.now();
  const clients = [];
  let ops = 0;
  let errors = 0;
  const statuses = {};
  let signInsThisSecond = 0;
  let second = 0;

  const form = (params) => ({
    method: 'POST',
    headers: {
      authorization: basic(WEB.clientId, WEB.secret),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams(params).toString(),
  });
  const note = (what, status) => {
    const k = `${what} ${status}`;
    statuses[k] = (statuses[k] ?? 0) + 1;
  };

  async function newClient() {
    const tokens = await signIn(server, 'seed@bench.test', 'orders:read');
    clients.push({ ...tokens, sid: claimsOf(tokens.access_token).sid });
    note('sign-in', 200);
  }

  async function op() {
    const now = Math.floor(Date.now() / 1000);
    if (now !== second) [second, signInsThisSecond] = [now, 0];
    if (clients.length < o.clients && signInsThisSecond < SIGN_IN_MAX_PER_SECOND) {
      signInsThisSecond++;
      return newClient();
    }
    const cl = clients.shift();
    if (!cl) return;
    const dice = Math.random() * 100;
    if (dice < REVOKE_ACCESS) {
      const r = await http(
        `${issuer}/revoke`,
        form({ token: cl.access_token, token_type_hint: 'access_token' }),
      );
      note('revoke-access', r.status);
      clients.push(cl);
    } else if (dice < REVOKE_ACCESS + REVOKE_REFRESH) {
      const r = await http(
        `${issuer}/revoke`,
        form({ token: cl.refresh_token, token_type_hint: 'refresh_token' }),
      );
      note('revoke-refresh', r.status);
    } else if (dice < REVOKE_ACCESS + REVOKE_REFRESH + END_SESSION) {
      if (Date.now() - adminAt > 30_000) [admin, adminAt] = [await adminToken(server), Date.now()];
      const r = await http(`${server.url}/admin/api/tenants/bench/sessions/${cl.sid}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: '{}',
      });
      note('end-session', r.status);
    } else {
      const r = await http(
        `${issuer}/token`,
        form({ grant_type: 'refresh_token', refresh_token: cl.refresh_token }),
      );
      note('refresh', r.status);
      // a refused refresh is a session or family past its lifetime: the client signs in again
      if (r.status === 200) clients.push({ ...cl, ...r.body });
    }
  }

  const samples = [];
  const started = Date.now();
  const sample = async () => {
    const s = {
      t: (Date.now() - started) / 1000,
      ops,
      errors,
      tables: await tableSizes(c, TABLES),
      job: await pruned(server.url),
    };
    samples.push(s);
    printSample(s);
    if (vacuumEachSample) await c.query(`VACUUM ${TABLES.join(', ')}`);
  };
  console.log(
    `[churn] rate ${o.rate}/s, ${o.clients} clients, ${o.duration} s, retention every ${o.interval} s, history ${o.historyDays} d, audit ${o.auditDays} d, autovacuum ${autovacuum}${vacuumEachSample ? ', VACUUM after every sample' : ''} (database ${new URL(db.url).pathname.slice(1)})`,
  );
  await sample();
  let nextSample = started + o.sample * 1000;
  const inFlight = new Set();
  try {
    for (let i = 0; ; i++) {
      const due = started + (i * 1000) / o.rate;
      if (due > started + o.duration * 1000) break;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      if (inFlight.size < 200) {
        const p = op()
          .catch((err) => {
            errors++;
            note('error', err.status ?? err.message?.slice(0, 40));
          })
          .finally(() => inFlight.delete(p));
        inFlight.add(p);
        ops++;
      } else errors++;
      if (Date.now() >= nextSample) {
        nextSample += o.sample * 1000;
        await sample();
      }
    }
    await Promise.all(inFlight);
    await sample();
  } finally {
    await c.end();
    await server.stop();
    await db.drop();
  }
  const first = samples[0];
  const middle = samples[Math.floor((samples.length - 1) / 2)];
  const last = samples[samples.length - 1];
  console.log('\n[churn] rows / bytes per table: start, middle, end (and rows the job deleted)');
  console.log(
    `${'table'.padEnd(24)} ${'start'.padStart(18)} ${'middle'.padStart(22)} ${'end'.padStart(22)} ${'deleted'.padStart(9)}`,
  );
  for (const t of TABLES) {
    const cell = (s) => `${s.tables[t].rows} / ${kb(s.tables[t].bytes)}`;
    console.log(
      `${t.padEnd(24)} ${cell(first).padStart(18)} ${cell(middle).padStart(22)} ${cell(last).padStart(22)} ${String(last.job.pruned[t] ?? 0).padStart(9)}`,
    );
  }
  console.log(`[churn] middle at t=${Math.round(middle.t)} s, end at t=${Math.round(last.t)} s`);
  console.log(`[churn] answers: ${JSON.stringify(statuses)}`);
  console.log(
    `[churn] retention runs: ${last.job.runs}, ${last.job.runSeconds.toFixed(2)} s in all`,
  );
  const dir = resolve(import.meta.dirname, '../results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'churn.json'),
    JSON.stringify({ options: o, samples, statuses }, null, 2),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
