// npm run bench:load -- --case LD-01|LD-02|LD-03|LD-04|LD-05|LD-06 [--duration 10m] [--rate 300]
//                       [--families N] [--targets check|report]
// The load cases of the security catalogue (LD-01 … LD-06) against DATABASE_URL: an open-loop
// driver at a fixed rate (the i-th operation is due at start + i/rate whatever the server did with
// the ones before, and its latency counts from then), the LD-01 blend, samples of the server while
// it runs, and the invariants checked in SQL and in the logs afterwards. Writes
// bench/results/load-<case>.json and exits 1 when an invariant (or, with --targets check, the
// default, a performance target) does not hold. bench/README.md describes each case.
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request as httpRequest } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import {
  basic,
  benchDatabase,
  claimsOf,
  freePort,
  memoryOf,
  openFdsOf,
  percentile,
  scrapeMetrics,
  sleep,
} from '../lib.mjs';
import {
  BENCH_POOL_MAX,
  adminToken,
  firstStart,
  CC,
  generateData,
  resourceServerCredentials,
  signIn,
  startOrders,
  startServer,
  subscribeFeed,
  WEB,
} from '../setup.mjs';

const CASES = ['LD-01', 'LD-02', 'LD-03', 'LD-04', 'LD-05', 'LD-06'];
const FORM = 'application/x-www-form-urlencoded';
/** LD-01's blend, in parts of 100; sign-in (2 %, at most 6/s) is a stream of its own. */
const BLEND = {
  'admin-read': 40,
  refresh: 25,
  introspection: 15,
  'client-credentials': 10,
  revocation: 5,
  'session-list': 3,
};
const SIGN_IN_SHARE = 0.02;
const SIGN_IN_MAX_RATE = 6;
/** The load cases' targets (performance; --targets report only reports them). */
const TARGET = {
  p50: 20,
  p99: 150,
  rssGrowth: 0.1,
  eventLoopP99: 50,
  burstTokenP99Delta: 20,
  revocationP99: 1000,
  recoverySeconds: 30,
};
/** Invariant bounds (always checked). */
const SIGN_IN_QUEUE_MS = 5000;
const OUTBOX_DRAIN_MS = 30_000;
const REQUEST_TIMEOUT_MS = 10_000;
/** The driver refuses to hold more than this many operations in flight (counted as dropped). */
const MAX_IN_FLIGHT = 3000;
/** One refresh in this many presents the token two rotations back: a reuse the server must catch. */
const REUSE_PROBE_EVERY = 100;
const SAMPLE_MS = 5000;
const USERS_PER_TENANT = 3334; // setup.mjs: u1 … u3334 @bench.test in each tenant

// ---------------------------------------------------------------------------------------- options
function seconds(v) {
  const m = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(v ?? '');
  if (!m) throw new Error(`--duration: a number of seconds, or 30s, 10m, 1h (got ${v})`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600 }[m[2] ?? 's'];
}

function args(argv) {
  const o = { targets: 'check' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--case') o.case = argv[++i]?.toUpperCase();
    else if (a === '--duration') o.duration = seconds(argv[++i]);
    else if (a === '--rate') o.rate = Number(argv[++i]);
    else if (a === '--families') o.families = Number(argv[++i]);
    else if (a === '--targets') o.targets = argv[++i];
    else throw new Error(`unknown argument ${a}`);
  }
  if (!CASES.includes(o.case)) throw new Error(`--case: one of ${CASES.join(', ')}`);
  if (o.rate !== undefined && !(o.rate > 0)) throw new Error('--rate: requests per second > 0');
  if (!['check', 'report'].includes(o.targets)) throw new Error('--targets: check or report');
  o.rate ??= 300;
  o.duration ??= { 'LD-01': 600, 'LD-03': 120, 'LD-04': 120, 'LD-05': 60, 'LD-06': 3600 }[o.case];
  // enough families that one is always idle: rate × share × a generous latency, at least 200
  const spike = o.case === 'LD-05' ? 10 : 1;
  o.families ??= Math.max(200, Math.ceil(o.rate * spike * (BLEND.refresh / 100) * 2));
  return o;
}

// ------------------------------------------------------------------------------------ the client
const agent = new Agent({ keepAlive: true, maxSockets: 2048 });

/** One request on a keep-alive pool; status is 'timeout' or 'network' when there is no answer. */
function send(url, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((done) => {
    const h =
      body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) };
    const req = httpRequest(url, { method, headers: h, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        done({
          status: res.statusCode,
          headers: res.headers,
          text: Buffer.concat(chunks).toString(),
        });
      });
      res.on('error', () => done({ status: 'network', headers: {} }));
    });
    const timer = setTimeout(() => {
      req.destroy();
      done({ status: 'timeout', headers: {} });
    }, REQUEST_TIMEOUT_MS);
    req.on('error', () => {
      clearTimeout(timer);
      done({ status: 'network', headers: {} });
    });
    if (body !== undefined) req.write(body);
    req.end();
  });
}

const json = (r) => {
  try {
    return JSON.parse(r.text);
  } catch {
    return undefined;
  }
};
const sidOf = (jwt) => claimsOf(jwt).sid;

// -------------------------------------------------------------------------------- what was seen
/** Every answer: kind, status, scheduled time (s since the run began) and latency (ms). */
class Recorder {
  kinds = [];
  kind = [];
  status = [];
  at = [];
  ms = [];
  /** 429/503 answers without Retry-After, by kind. */
  missingRetryAfter = {};
  origin = performance.now();

  add(kind, r, startedAt) {
    let k = this.kinds.indexOf(kind);
    if (k < 0) k = this.kinds.push(kind) - 1;
    this.kind.push(k);
    this.status.push(r.status);
    this.at.push((startedAt - this.origin) / 1000);
    this.ms.push(performance.now() - startedAt);
    if ((r.status === 429 || r.status === 503) && !r.headers?.['retry-after'])
      this.missingRetryAfter[kind] = (this.missingRetryAfter[kind] ?? 0) + 1;
  }

  now() {
    return (performance.now() - this.origin) / 1000;
  }

  /** Latencies and statuses of the answers scheduled in [from, to) of the given kinds. */
  stats({ from = 0, to = Infinity, kinds } = {}) {
    const latencies = [];
    const statuses = {};
    for (let i = 0; i < this.kind.length; i++) {
      if (this.at[i] < from || this.at[i] >= to) continue;
      if (kinds && !kinds.includes(this.kinds[this.kind[i]])) continue;
      const s = this.status[i];
      statuses[s] = (statuses[s] ?? 0) + 1;
      if (typeof s === 'number') latencies.push(this.ms[i]);
    }
    return {
      count: latencies.length,
      p50: percentile(latencies, 50),
      p90: percentile(latencies, 90),
      p99: percentile(latencies, 99),
      max: percentile(latencies, 100),
      statuses,
    };
  }
}

/**
 * Hashes of every secret the driver was handed (JWT signatures, opaque tokens and their first 24
 * characters), to find them in the server's log without keeping them all.
 */
class Issued {
  hashes = new Set();
  fixed = [];
  static h(s) {
    return parseInt(createHash('sha1').update(s).digest('hex').slice(0, 13), 16);
  }
  add(token) {
    if (typeof token !== 'string' || token.length < 20) return;
    const parts = token.split('.');
    const secret = parts.length === 3 ? parts[2] : token;
    this.hashes.add(Issued.h(secret));
    this.hashes.add(Issued.h(secret.slice(0, 24)));
  }
  /** Findings in the log file: issued values, JWT-shaped strings, fixed secrets. */
  async scan(file) {
    const findings = [];
    let lines = 0;
    const rl = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
    for await (const line of rl) {
      lines++;
      if (findings.length >= 10) continue;
      if (/eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{20,}/.test(line))
        findings.push(`a JWT on line ${lines}`);
      for (const m of line.matchAll(/[\w-]{20,}/g))
        if (this.hashes.has(Issued.h(m[0])) || this.hashes.has(Issued.h(m[0].slice(0, 24))))
          findings.push(`an issued token on line ${lines}`);
      for (const f of this.fixed) if (line.includes(f)) findings.push(`a secret on line ${lines}`);
    }
    return { lines, findings };
  }
}

// ------------------------------------------------------------------------------------- the world
/** A back-channel logout receiver: answers 200, counts, remembers the logout tokens. */
async function receiver(issued) {
  const port = await freePort();
  const got = { count: 0 };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      got.count++;
      issued.add(new URLSearchParams(body).get('logout_token'));
      res.writeHead(200).end();
    });
  });
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${port}/backchannel-logout`, got, close: () => server.close() };
}

async function startWorld(o, issued) {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) throw new Error('DATABASE_URL must name a PostgreSQL server');
  const cleanups = [];
  const w = { cleanups, instances: [] };
  const db = await benchDatabase(serverUrl, '_load');
  cleanups.push(() => db.drop());
  w.db = db;
  w.dbName = new URL(db.url).pathname.slice(1);
  w.logDir = mkdtempSync(join(tmpdir(), 'tessera-load-'));
  cleanups.push(() => rmSync(w.logDir, { recursive: true, force: true }));
  w.receiver = await receiver(issued);
  cleanups.push(() => w.receiver.close());
  const env = {
    // the log is scanned afterwards: the access log is part of what must stay clean
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
    TESSERA_ALLOW_PRIVATE_URIS: '1', // the receiver is on loopback
  };
  w.start = async (name, extra = {}) => {
    const s = await startServer(
      db.url,
      { ...env, ...extra },
      { logFile: join(w.logDir, `${name}.log`), backchannelLogoutUri: w.receiver.url },
    );
    cleanups.push(() => s.stop());
    w.instances.push({ name, server: s, log: join(w.logDir, `${name}.log`) });
    return s;
  };
  const a = await w.start('A');
  w.a = a;
  process.stdout.write('data set (3 tenants, 10 000 users, 100 000 sessions)… ');
  let t0 = performance.now();
  await generateData(db.url);
  console.log(`${((performance.now() - t0) / 1000).toFixed(1)} s`);
  w.monitor = new pg.Client({ connectionString: serverUrl }); // not on the bench database
  await w.monitor.connect();
  cleanups.push(() => w.monitor.end());
  w.sql = async (q, p) => {
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      return (await c.query(q, p)).rows;
    } finally {
      await c.end();
    }
  };

  issued.fixed.push(
    WEB.secret,
    CC.secret,
    'benchmark password 1',
    'benchmark admin password',
    firstStart(a).clientSecret, // in the first start's 0600 file only, never in a log
  );
  w.admin = await adminToken(a);
  // admin tokens live minutes: renewed every 30 s, retried every 5 s while the server refuses
  let renewAt = Date.now() + 30_000;
  const renew = setInterval(async () => {
    if (Date.now() < renewAt) return;
    renewAt = Date.now() + 5000;
    const t = await adminToken(a).catch(() => undefined);
    if (!t) return;
    w.admin = t;
    issued.add(t);
    renewAt = Date.now() + 30_000;
  }, 5000);
  cleanups.push(() => clearInterval(renew));
  issued.add(w.admin);
  const rs = await resourceServerCredentials(a, w.admin);
  issued.fixed.push(rs.secret);
  w.rsAuth = basic(rs.clientId, rs.secret);

  process.stdout.write(`${o.families} signed-in families (browser flow)… `);
  t0 = performance.now();
  w.signedIn = 0;
  w.families = [];
  for (let i = 0; i < o.families; i += 10) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(10, o.families - i) }, () =>
        signIn(a, `u${(w.signedIn++ % USERS_PER_TENANT) + 1}@bench.test`),
      ),
    );
    for (const t of batch) w.families.push(family(t, issued));
  }
  console.log(`${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return w;
}

function family(t, issued) {
  for (const k of ['access_token', 'refresh_token', 'id_token']) issued.add(t[k]);
  return { sid: sidOf(t.access_token), rt: t.refresh_token, prev: null, prev2: null };
}

// ------------------------------------------------------------------------------------ the driver
/**
 * The LD-01 operations against instance A. Each op records its answers; the first request of an
 * op counts from the op's scheduled time.
 */
function operations(w, rec, issued, tally) {
  const a = w.a;
  const issuer = a.issuer();
  const idle = [...w.families];
  const minIdle = Math.floor(w.families.length / 2);
  const atRing = []; // the web application's recent access tokens (revocation, introspection)
  const anyRing = []; // and client_credentials ones (introspection)
  const ring = (r, v) => {
    r.push(v);
    if (r.length > 500) r.shift();
  };
  const pickOf = (r) => r[Math.floor(Math.random() * r.length)];
  const web = basic(WEB.clientId, WEB.secret);
  const cc = basic(CC.clientId, CC.secret);
  const admin = () => ({ authorization: `Bearer ${w.admin}` });
  let readN = 0;
  let refreshN = 0;
  let probeDue = false; // the next family rotated twice already is probed
  let revokeN = 0;
  let cursor = null;

  const tokenCall = (body, auth = web) =>
    send(`${issuer}/token`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': FORM },
      body: new URLSearchParams(body).toString(),
    });
  const expect = (kind, r, ok) => {
    if (r.status !== ok && typeof r.status === 'number' && r.status < 500 && r.status !== 429)
      tally.unexpected[`${kind} ${r.status}`] = (tally.unexpected[`${kind} ${r.status}`] ?? 0) + 1;
  };

  const refresh = async (at) => {
    const f = idle.shift();
    if (!f) return rec.add('refresh', { status: 'no-idle-family' }, at);
    if (++refreshN % REUSE_PROBE_EVERY === 0) probeDue = true;
    if (probeDue && f.prev2) {
      probeDue = false;
      // the token two rotations back: its successor was used, so this is reuse, whatever the grace
      const r = await tokenCall({ grant_type: 'refresh_token', refresh_token: f.prev2 });
      rec.add('refresh-reuse', r, at);
      if (r.status === 400 && json(r)?.error === 'invalid_grant') {
        tally.reuseDetected++;
        const t1 = performance.now();
        const after = await tokenCall({ grant_type: 'refresh_token', refresh_token: f.rt });
        rec.add('refresh-reuse', after, t1);
        if (after.status === 200) tally.violations.push('a family survived a detected reuse');
        if (after.status === 200) tally.refreshed++;
      } else if (r.status === 200) {
        tally.violations.push('a refresh token two rotations back was honoured');
        tally.refreshed++;
      } else if (typeof r.status !== 'number' || r.status === 503)
        // may have been caught: a 503 at the request deadline does not stop the work behind it
        tally.reuseUnanswered++;

      return; // the family is dead (or unknown): never used again
    }
    const r = await tokenCall({ grant_type: 'refresh_token', refresh_token: f.rt });
    rec.add('refresh', r, at);
    if (r.status === 200) {
      const body = json(r);
      issued.add(body.access_token);
      issued.add(body.refresh_token);
      issued.add(body.id_token);
      [f.prev2, f.prev, f.rt] = [f.prev, f.rt, body.refresh_token];
      ring(atRing, body.access_token);
      ring(anyRing, body.access_token);
      tally.refreshed++;
      idle.push(f);
    } else if (r.status === 400) {
      // a family used by one client at a time is never refused while it lives
      tally.refusedLiveFamily++;
    } else if (r.status === 503) {
      // a 503 may come from the request deadline after the rotation committed (what it commits
      // stands): the same token is presented again later and falls in the grace, but a family
      // not used again before the end keeps a successor no 200 announced
      tally.answered503++;
      idle.push(f);
    } else if (r.status !== 429) {
      tally.uncertain++; // it may have rotated: the family is not used again
    } else idle.push(f); // refused before any work: the token is still the current one
  };

  const ops = {
    'admin-read': async (at) => {
      const paths = [
        `/admin/api/tenants/bench/sessions/${pickOf(w.families).sid}`,
        '/admin/api/tenants/bench/applications',
        '/admin/api/tenants/bench/resource-servers',
        '/admin/api/tenants/bench',
      ];
      const r = await send(`${a.url}${paths[readN++ % paths.length]}`, { headers: admin() });
      rec.add('admin-read', r, at);
      expect('admin-read', r, 200);
    },
    refresh,
    introspection: async (at) => {
      const token = pickOf(anyRing) ?? 'none';
      const r = await send(`${issuer}/introspect`, {
        method: 'POST',
        headers: { authorization: w.rsAuth, 'content-type': FORM },
        body: `token=${token}`,
      });
      rec.add('introspection', r, at);
      expect('introspection', r, 200);
    },
    'client-credentials': async (at) => {
      const r = await tokenCall({ grant_type: 'client_credentials', scope: 'orders:read' }, cc);
      rec.add('client-credentials', r, at);
      expect('client-credentials', r, 200);
      if (r.status === 200) {
        const t = json(r).access_token;
        issued.add(t);
        ring(anyRing, t);
      }
    },
    // half access tokens (RFC 7009, a jti on the deny list), a quarter refresh tokens (the family
    // ends), a quarter whole sessions through the admin API (back-channel logout to the receiver)
    revocation: async (at) => {
      const kind = ['access', 'refresh', 'access', 'session'][revokeN++ % 4];
      if (kind === 'access' || idle.length <= minIdle) {
        const r = await send(`${issuer}/revoke`, {
          method: 'POST',
          headers: { authorization: web, 'content-type': FORM },
          body: `token=${pickOf(atRing) ?? 'none'}&token_type_hint=access_token`,
        });
        rec.add('revocation', r, at);
        return expect('revocation', r, 200);
      }
      const f = idle.shift();
      const r =
        kind === 'refresh'
          ? await send(`${issuer}/revoke`, {
              method: 'POST',
              headers: { authorization: web, 'content-type': FORM },
              body: `token=${f.rt}&token_type_hint=refresh_token`,
            })
          : await send(`${a.url}/admin/api/tenants/bench/sessions/${f.sid}`, {
              method: 'DELETE',
              headers: admin(),
            });
      rec.add('revocation', r, at);
      expect('revocation', r, kind === 'refresh' ? 200 : 204);
      if (kind === 'session' && r.status === 204) tally.sessionsRevoked++;
    },
    'session-list': async (at) => {
      const q = cursor ? `limit=20&cursor=${encodeURIComponent(cursor)}` : 'limit=20';
      const r = await send(`${a.url}/admin/api/tenants/bench/sessions?${q}`, { headers: admin() });
      rec.add('session-list', r, at);
      expect('session-list', r, 200);
      cursor = r.status === 200 ? (json(r)?.nextCursor ?? null) : null;
    },
    'sign-in': async (at, kind = 'sign-in') => {
      const timings = {};
      try {
        const t = await signIn(
          a,
          `u${(w.signedIn++ % USERS_PER_TENANT) + 1}@bench.test`,
          'orders:read',
          timings,
        );
        rec.add(kind, { status: 200 }, at);
        const f = family(t, issued);
        w.families.push(f);
        idle.push(f);
      } catch (err) {
        rec.add(
          kind,
          { status: err.status ?? 'network', headers: { 'retry-after': err.retryAfter } },
          at,
        );
      }
      if (timings.form > SIGN_IN_QUEUE_MS) tally.slowSignIns++;
    },
  };
  return ops;
}

/**
 * Open loop: the i-th operation of the blend is due at start + i/rate; sign-ins are a stream of
 * their own at 2 % of the rate, at most 6/s. Nothing waits for an answer before sending the next.
 */
async function drive(ops, rec, tally, { rate, seconds, onTick }) {
  const slots = [];
  for (const [kind, parts] of Object.entries(BLEND))
    for (let i = 0; i < parts; i++) slots.push(kind);
  // a fixed shuffle (seeded), so every run interleaves the kinds alike
  let seed = 42;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (let i = slots.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [slots[i], slots[j]] = [slots[j], slots[i]];
  }
  const mainRate = rate * (1 - SIGN_IN_SHARE);
  const signInRate = Math.min(rate * SIGN_IN_SHARE, SIGN_IN_MAX_RATE);
  const start = performance.now();
  const end = start + seconds * 1000;
  let i = 0;
  let j = 0;
  const fire = (kind, at) => {
    tally.lag.push(performance.now() - at);
    if (tally.inFlight >= MAX_IN_FLIGHT) return tally.dropped++;
    tally.inFlight++;
    ops[kind](at)
      .catch((err) => tally.violations.push(`driver: ${kind}: ${err.message}`))
      .finally(() => tally.inFlight--);
  };
  const dueMain = () => start + (i * 1000) / mainRate;
  const dueSignIn = () => start + (j * 1000) / signInRate;
  for (let now = start; now < end; now = performance.now()) {
    while (dueMain() <= now && dueMain() < end) fire(slots[i % slots.length], dueMain(), i++);
    while (dueSignIn() <= now && dueSignIn() < end) fire('sign-in', dueSignIn(), j++);
    onTick?.(now - start);
    await sleep(2);
  }
}

async function settle(tally) {
  for (let k = 0; k < (REQUEST_TIMEOUT_MS + 5000) / 50 && tally.inFlight > 0; k++) await sleep(50);
}

// ---------------------------------------------------------------------------------- measurements
/** Every SAMPLE_MS: memory, descriptors, database connections, pool and event loop of each instance. */
function sampler(w, extra = []) {
  const samples = [];
  const origin = performance.now();
  const take = async () => {
    const t = Math.round((performance.now() - origin) / 1000);
    const { rows } = await w.monitor.query(
      'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1',
      [w.dbName],
    );
    const s = { t, dbConnections: rows[0].n, instances: {} };
    for (const { name, server } of w.instances) {
      const m = await scrapeMetrics(`${server.url}/metrics`).catch(() => ({}));
      s.instances[name] = {
        rssMb: memoryOf(server.child.pid).rssMb,
        fds: openFdsOf(server.child.pid),
        poolTotal: m['tessera_db_pool_connections{state="total"}'],
        poolWaiting: m['tessera_db_pool_connections{state="waiting"}'],
        poolMax: m.tessera_db_pool_max,
        eventLoopP99Ms:
          m.nodejs_eventloop_lag_p99_seconds === undefined
            ? undefined
            : Math.round(m.nodejs_eventloop_lag_p99_seconds * 10000) / 10,
        outboxDepth: m.tessera_backchannel_outbox_depth,
      };
    }
    for (const { name, pid } of extra) s.instances[name] = { rssMb: memoryOf(pid).rssMb };
    samples.push(s);
  };
  let running = Promise.resolve();
  const timer = setInterval(() => (running = take().catch(() => undefined)), SAMPLE_MS);
  return {
    samples,
    take,
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}

/** Table sizes (rows live and total, bytes) and the revocation events a follower must remember. */
async function tableSizes(w) {
  const [r] = await w.sql(`SELECT
      (SELECT count(*) FROM sessions)::int AS sessions,
      (SELECT count(*) FROM sessions WHERE revoked_at IS NULL AND idle_expires_at > now() AND absolute_expires_at > now())::int AS "liveSessions",
      (SELECT count(*) FROM refresh_token_families)::int AS families,
      (SELECT count(*) FROM refresh_token_families WHERE revoked_at IS NULL AND absolute_expires_at > now())::int AS "liveFamilies",
      (SELECT count(*) FROM refresh_tokens)::int AS "refreshTokens",
      (SELECT count(*) FROM revocation_events)::int AS "revocationEvents",
      (SELECT count(*) FROM revocation_events WHERE expires_at > now())::int AS "liveRevocationEvents",
      (pg_total_relation_size('sessions') + pg_total_relation_size('refresh_token_families')
        + pg_total_relation_size('refresh_tokens'))::bigint AS "sessionTablesBytes",
      pg_total_relation_size('revocation_events')::bigint AS "revocationEventsBytes"`);
  return {
    ...r,
    sessionTablesBytes: Number(r.sessionTablesBytes),
    revocationEventsBytes: Number(r.revocationEventsBytes),
  };
}

// ------------------------------------------------------------------------------------ the checks
class Checks {
  list = [];
  constructor(targets) {
    this.targets = targets;
  }
  invariant(name, ok, detail) {
    this.list.push({ name, kind: 'invariant', ok: Boolean(ok), detail });
  }
  target(name, ok, detail) {
    this.list.push({ name, kind: 'target', ok: Boolean(ok), detail });
  }
  get failed() {
    return this.list.filter((c) => !c.ok && (c.kind === 'invariant' || this.targets === 'check'));
  }
  print() {
    for (const c of this.list)
      console.log(
        `${c.ok ? 'ok  ' : c.kind === 'target' ? 'MISS' : 'FAIL'} ${c.kind.padEnd(9)} ${c.name}: ${c.detail}`,
      );
  }
}

/** What holds for every case, from the answers and the samples of [from, to). */
function checkRun(checks, rec, tally, sampled, { from = 0, to = Infinity, warmup, spike = false }) {
  const all = rec.stats({ from, to });
  const fivexx = Object.entries(all.statuses)
    .filter(([s]) => /^5/.test(s) && !(spike && s === '503'))
    .reduce((n, [, v]) => n + v, 0);
  const missingRa = Object.values(rec.missingRetryAfter).reduce((n, v) => n + v, 0);
  const noAnswer = (all.statuses.timeout ?? 0) + (all.statuses.network ?? 0);
  checks.invariant(
    spike ? 'no 5xx but 503 + Retry-After' : 'no 5xx',
    fivexx === 0 && (!spike || missingRa === 0),
    `${fivexx} × 5xx${spike ? `, ${missingRa} × 429/503 without Retry-After` : ''}`,
  );
  checks.invariant(
    'every request answered',
    noAnswer === 0,
    `${noAnswer} timeouts (${REQUEST_TIMEOUT_MS / 1000} s) or connection errors`,
  );
  checks.invariant(
    '429/503 carry Retry-After',
    missingRa === 0,
    JSON.stringify(rec.missingRetryAfter),
  );
  checks.invariant(
    'answers as expected',
    Object.keys(tally.unexpected).length === 0 && tally.refusedLiveFamily === 0,
    `${JSON.stringify(tally.unexpected)}; ${tally.refusedLiveFamily} refreshes of a live family refused`,
  );
  checks.invariant(
    'reuse caught, family dead after it',
    tally.violations.length === 0,
    tally.violations.slice(0, 5).join('; ') || 'none',
  );
  const inRange = sampled.samples.filter((s) => s.t >= from && s.t < to);
  let poolOver = 0;
  let dbOver = 0;
  for (const s of inRange) {
    const instances = Object.values(s.instances).filter((i) => i.poolMax !== undefined);
    for (const i of instances) if (i.poolTotal > i.poolMax) poolOver++;
    // each instance: its pool plus one LISTEN connection (database/notify-bus.ts)
    const bound = instances.reduce((n, i) => n + i.poolMax + 1, 0);
    if (s.dbConnections > bound) dbOver++;
  }
  const maxDb = Math.max(0, ...inRange.map((s) => s.dbConnections));
  checks.invariant(
    'DB connections within the pool',
    poolOver === 0 && dbOver === 0,
    `max ${maxDb} in pg_stat_activity (pool max ${BENCH_POOL_MAX} + 1 listener per instance); ${poolOver + dbOver} samples over`,
  );
  if (spike) return;
  checks.target(`p50 < ${TARGET.p50} ms`, all.p50 < TARGET.p50, `${all.p50} ms`);
  checks.target(`p99 < ${TARGET.p99} ms`, all.p99 < TARGET.p99, `${all.p99} ms`);
  const a = (s) => s.instances.A;
  const after = inRange.filter((s) => s.t >= warmup);
  if (after.length >= 2) {
    const first = a(after[0]);
    const last = a(after.at(-1));
    const growth = (last.rssMb - first.rssMb) / first.rssMb;
    checks.target(
      `RSS after warm-up grows < ${TARGET.rssGrowth * 100} %`,
      growth < TARGET.rssGrowth,
      `${first.rssMb} → ${last.rssMb} MB (${(growth * 100).toFixed(1)} %)`,
    );
    checks.target(
      'open FDs flat',
      last.fds <= first.fds * 1.1 + 10,
      `${first.fds} → ${last.fds} (max ${Math.max(...after.map((s) => a(s).fds))})`,
    );
  }
  const loop = after.map((s) => a(s).eventLoopP99Ms).filter((v) => v !== undefined);
  if (loop.length)
    checks.target(
      `event-loop delay p99 < ${TARGET.eventLoopP99} ms`,
      Math.max(...loop) < TARGET.eventLoopP99,
      `max ${Math.max(...loop)} ms over ${loop.length} scrapes of ${SAMPLE_MS / 1000} s (median ${percentile(loop, 50)} ms)`,
    );
  else
    checks.target('event-loop delay p99', false, 'no nodejs_eventloop_lag_p99_seconds at /metrics');
}

/** After the load: rotations in SQL, reuse audit, outbox drained, logs clean. */
async function checkAfter(checks, w, tally) {
  const [rot] = await w.sql(`SELECT
      (SELECT count(*) FROM refresh_tokens p WHERE p.used_at IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM refresh_tokens c WHERE c.parent_id = p.id))::int AS "usedWithoutSuccessor",
      (SELECT count(*) FROM (SELECT parent_id FROM refresh_tokens WHERE parent_id IS NOT NULL GROUP BY parent_id HAVING count(*) > 1) x)::int AS "twoSuccessors",
      (SELECT count(*) FROM (SELECT family_id FROM refresh_tokens WHERE used_at IS NULL GROUP BY family_id HAVING count(*) > 1) x)::int AS "familiesWithTwoLive",
      (SELECT count(*) FROM refresh_tokens WHERE parent_id IS NOT NULL)::int AS successors,
      (SELECT count(*) FROM audit_events WHERE type = 'refresh_token_reuse')::int AS "reuseAudited"`);
  checks.invariant(
    'every used refresh token has exactly one successor',
    rot.usedWithoutSuccessor === 0 && rot.twoSuccessors === 0,
    `${rot.usedWithoutSuccessor} without, ${rot.twoSuccessors} with two`,
  );
  checks.invariant(
    'no family has two live refresh tokens',
    rot.familiesWithTwoLive === 0,
    `${rot.familiesWithTwoLive} families`,
  );
  checks.invariant(
    'successors = refreshes answered 200',
    rot.successors >= tally.refreshed &&
      rot.successors <= tally.refreshed + tally.uncertain + tally.answered503,
    `${rot.successors} rows; ${tally.refreshed} answered 200, ${tally.uncertain} unanswered or 5xx, ${tally.answered503} answered 503`,
  );
  let metricReuse = 0;
  for (const { server } of w.instances) {
    const m = await scrapeMetrics(`${server.url}/metrics`).catch(() => ({}));
    metricReuse += m.tessera_refresh_token_reuse_detected_total ?? 0;
  }
  checks.invariant(
    'audit reuse events = reuse detections',
    // a probe left unanswered (timeout) may have been caught: it may count, never more than that
    rot.reuseAudited >= tally.reuseDetected &&
      rot.reuseAudited <= tally.reuseDetected + tally.reuseUnanswered &&
      metricReuse === rot.reuseAudited &&
      tally.reuseDetected > 0,
    `${rot.reuseAudited} audited, ${metricReuse} counted at /metrics, ${tally.reuseDetected} detections seen by the driver (${tally.reuseUnanswered} probes unanswered or 503)`,
  );
  const t0 = performance.now();
  let outbox;
  for (;;) {
    [outbox] = await w.sql(`SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending,
        count(*) FILTER (WHERE status = 'failed')::int AS failed, count(*)::int AS total FROM backchannel_deliveries`);
    if (outbox.pending === 0 || performance.now() - t0 > OUTBOX_DRAIN_MS) break;
    await sleep(500);
  }
  const drainMs = Math.round(performance.now() - t0);
  checks.invariant(
    `back-channel outbox drained within ${OUTBOX_DRAIN_MS / 1000} s`,
    outbox.pending === 0 && outbox.failed === 0 && outbox.total > 0,
    `${outbox.pending} pending, ${outbox.failed} failed of ${outbox.total} after ${drainMs} ms; ${w.receiver.got.count} logout tokens received`,
  );
  return { rotations: rot, outbox: { ...outbox, drainMs, received: w.receiver.got.count } };
}

async function scanLogs(checks, w, issued) {
  const out = {};
  for (const i of w.instances) {
    await i.server.stop(); // the log is complete once the process has flushed and exited
    await sleep(200);
    out[i.name] = await issued.scan(i.log);
  }
  const findings = Object.entries(out).flatMap(([n, r]) => r.findings.map((f) => `${n}: ${f}`));
  const lines = Object.values(out).reduce((n, r) => n + r.lines, 0);
  checks.invariant(
    'log scan clean',
    findings.length === 0 && lines > 0,
    findings.slice(0, 5).join('; ') ||
      `${lines} lines, ${issued.hashes.size / 2} issued secrets, none found`,
  );
  return out;
}

// -------------------------------------------------------------------------------------- the cases
function newTally() {
  return {
    inFlight: 0,
    dropped: 0,
    lag: [],
    refreshed: 0,
    uncertain: 0,
    answered503: 0,
    reuseDetected: 0,
    reuseUnanswered: 0,
    refusedLiveFamily: 0,
    sessionsRevoked: 0,
    slowSignIns: 0,
    unexpected: {},
    violations: [],
  };
}

function summary(rec, range = {}) {
  const byKind = {};
  for (const k of rec.kinds) byKind[k] = rec.stats({ ...range, kinds: [k] });
  const overall = rec.stats(range);
  const span = Math.min(range.to ?? Infinity, rec.now()) - (range.from ?? 0) || 1;
  return { ...overall, rps: Math.round(overall.count / span), byKind };
}

function printSummary(label, s) {
  console.log(
    `\n${label}: ${s.rps} answers/s  p50 ${s.p50}  p90 ${s.p90}  p99 ${s.p99}  max ${s.max} ms  ${JSON.stringify(s.statuses)}`,
  );
  for (const [k, v] of Object.entries(s.byKind))
    if (v.count || Object.keys(v.statuses).length)
      console.log(
        `  ${k.padEnd(20)} ${String(v.count).padStart(7)}  p50 ${String(v.p50).padStart(6)}  p99 ${String(v.p99).padStart(7)} ms  ${JSON.stringify(v.statuses)}`,
      );
}

async function main() {
  const o = args(process.argv.slice(2));
  if (o.case === 'LD-02') {
    // the guard benchmark is a scenario of its own: guarded vs unguarded vs bare jose
    console.log(
      'LD-02 is the guard scenario: npm run bench:guard (bench/run.mjs --scenario guard)',
    );
    process.argv = [process.argv[0], process.argv[1], '--scenario', 'guard'];
    if (o.duration) process.argv.push('--duration', String(o.duration));
    await import('../run.mjs');
    return;
  }
  const startedAt = new Date().toISOString();
  const issued = new Issued();
  const rec = new Recorder();
  const tally = newTally();
  const checks = new Checks(o.targets);
  const report = {
    case: o.case,
    machine: { cpus: cpus().length, node: process.version },
    startedAt,
    rate: o.rate,
    duration: o.duration,
    families: o.families,
    blend: { ...BLEND, 'sign-in': `${SIGN_IN_SHARE * 100} % (≤ ${SIGN_IN_MAX_RATE}/s)` },
  };
  let w;
  try {
    w = await startWorld(o, issued);
    const ops = operations(w, rec, issued, tally);
    const extra = [];
    let b;
    let orders;
    if (o.case === 'LD-04') {
      // B has its own public URL: its tokens and its feed are its own, the revocation goes through A
      b = await w.start('B');
      orders = await startOrders(b.issuer());
      w.cleanups.push(() => orders.stop());
      extra.push({ name: 'example-orders', pid: orders.child.pid });
    }
    if (o.case === 'LD-06') {
      orders = await startOrders(w.a.issuer()); // follows A's feed: its deny list is measured
      w.cleanups.push(() => orders.stop());
      extra.push({ name: 'example-orders', pid: orders.child.pid });
    }
    const sampled = sampler(w, extra);
    const tables = [];
    if (o.case === 'LD-06') tables.push({ t: 0, ...(await tableSizes(w)) });
    await sampled.take();
    rec.origin = performance.now();
    const warmup = Math.min(60, o.duration / 4);
    console.log(`${o.case}: ${o.rate} operations/s, open loop`);

    if (o.case === 'LD-01' || o.case === 'LD-06') {
      let nextTables = 60_000;
      await drive(ops, rec, tally, {
        rate: o.rate,
        seconds: o.duration,
        onTick: (ms) => {
          if (o.case === 'LD-06' && ms >= nextTables) {
            nextTables += Math.max(60_000, (o.duration * 1000) / 20);
            void tableSizes(w).then(
              (t) => tables.push({ t: Math.round(ms / 1000), ...t }),
              () => undefined,
            );
          }
        },
      });
      await settle(tally);
      report.results = summary(rec);
      printSummary(o.case, report.results);
      checkRun(checks, rec, tally, sampled, { warmup });
      if (o.case === 'LD-06') {
        tables.push({ t: Math.round(rec.now()), ...(await tableSizes(w)) });
        report.tables = tables;
        const mid = tables[Math.floor(tables.length / 2)];
        const last = tables.at(-1);
        checks.target(
          'live revocation events bounded by their exp',
          last.liveRevocationEvents <= mid.liveRevocationEvents * 1.1 + 50,
          `${tables.map((t) => t.liveRevocationEvents).join(' → ')} live of ${last.revocationEvents}`,
        );
        const ordersRss = sampled.samples
          .map((s) => s.instances['example-orders']?.rssMb)
          .filter(Boolean);
        console.log(
          `sessions ${tables[0].sessions} → ${last.sessions} (live ${last.liveSessions}), families ${tables[0].families} → ${last.families} (live ${last.liveFamilies}), session tables ${(tables[0].sessionTablesBytes / 1e6).toFixed(0)} → ${(last.sessionTablesBytes / 1e6).toFixed(0)} MB; example-orders RSS ${ordersRss[0]} → ${ordersRss.at(-1)} MB`,
        );
      }
    } else if (o.case === 'LD-03') {
      // the same run, twice: LD-01 alone, then LD-01 with 20 parallel sign-ins every 10 s
      await drive(ops, rec, tally, { rate: o.rate, seconds: o.duration });
      const split = rec.now();
      let nextBurst = 0;
      const bursts = [];
      await drive(ops, rec, tally, {
        rate: o.rate,
        seconds: o.duration,
        onTick: (ms) => {
          if (ms < nextBurst) return;
          nextBurst += 10_000;
          const at = performance.now();
          bursts.push(
            Promise.all(Array.from({ length: 20 }, () => ops['sign-in'](at, 'burst-sign-in'))),
          );
        },
      });
      await Promise.all(bursts);
      await settle(tally);
      const token = ['refresh', 'client-credentials'];
      const base = rec.stats({ to: split, kinds: token });
      const burst = rec.stats({ from: split, kinds: token });
      const adminBase = rec.stats({ to: split, kinds: ['admin-read'] });
      const adminBurst = rec.stats({ from: split, kinds: ['admin-read'] });
      const signIns = rec.stats({ kinds: ['burst-sign-in'] });
      report.results = {
        baseline: summary(rec, { to: split }),
        bursts: summary(rec, { from: split }),
      };
      printSummary('LD-01 alone', report.results.baseline);
      printSummary('LD-01 + bursts', report.results.bursts);
      checkRun(checks, rec, tally, sampled, { warmup });
      checks.target(
        `token endpoint p99 within +${TARGET.burstTokenP99Delta} ms of LD-01`,
        burst.p99 - base.p99 <= TARGET.burstTokenP99Delta,
        `${base.p99} → ${burst.p99} ms (admin reads ${adminBase.p99} → ${adminBurst.p99} ms)`,
      );
      const bad = Object.entries(signIns.statuses).filter(([s]) => s !== '200' && s !== '429');
      checks.invariant(
        'burst sign-ins: 200, or 429 + Retry-After beyond the hasher bound',
        bad.length === 0 && !rec.missingRetryAfter['burst-sign-in'],
        `${JSON.stringify(signIns.statuses)} over ${bursts.length} bursts`,
      );
      checks.invariant(
        `no sign-in queued > ${SIGN_IN_QUEUE_MS / 1000} s`,
        tally.slowSignIns === 0,
        `${tally.slowSignIns} form posts slower; burst sign-ins p99 ${signIns.p99} ms, max ${signIns.max} ms (whole flow)`,
      );
    } else if (o.case === 'LD-04') {
      const probes = await revocationProbes(w, b, orders, ops, rec, tally, o);
      await settle(tally);
      report.results = summary(rec);
      report.revocation = probes.report;
      printSummary('LD-01 on A', report.results);
      console.log(
        `revocations ${probes.report.n}: feed on B p50 ${probes.report.feed.p50} p99 ${probes.report.feed.p99} ms; guard p50 ${probes.report.guard.p50} p99 ${probes.report.guard.p99} ms`,
      );
      checkRun(checks, rec, tally, sampled, { warmup });
      probes.check(checks);
    } else if (o.case === 'LD-05') {
      const spikeRate = o.rate * 10;
      await drive(ops, rec, tally, { rate: o.rate, seconds: o.duration });
      const spikeFrom = rec.now();
      await drive(ops, rec, tally, { rate: spikeRate, seconds: 30 });
      const spikeTo = rec.now();
      await drive(ops, rec, tally, { rate: o.rate, seconds: o.duration });
      await settle(tally);
      const base = rec.stats({ to: spikeFrom });
      // "back": every 10 s window from then on within a quarter (or 20 ms) of the LD-01 p99
      const bound = Math.max(base.p99 * 1.25, base.p99 + 20);
      const windows = [];
      for (let t = spikeTo; t + 10 <= rec.now() + 0.5; t += 5)
        windows.push({
          from: Math.round(t - spikeTo),
          p99: rec.stats({ from: t, to: t + 10 }).p99,
        });
      const back = windows.findIndex((_, k) => windows.slice(k).every((x) => x.p99 <= bound));
      report.results = {
        baseline: summary(rec, { to: spikeFrom }),
        spike: summary(rec, { from: spikeFrom, to: spikeTo }),
        after: summary(rec, { from: spikeTo }),
        windowsAfter: windows,
        dropped: tally.dropped,
      };
      printSummary('LD-01', report.results.baseline);
      printSummary(`spike ×10 (${spikeRate}/s)`, report.results.spike);
      printSummary('after', report.results.after);
      console.log(
        `p99 of 10 s windows every 5 s after the spike: ${windows.map((x) => x.p99).join(' ')} ms (bound ${bound.toFixed(0)}); driver dropped ${tally.dropped}`,
      );
      checkRun(checks, rec, tally, sampled, { spike: true });
      const alive =
        w.a.child.exitCode === null && (await send(`${w.a.url}/healthz`)).status === 200;
      checks.invariant('server alive after the spike', alive, alive ? '/healthz 200' : 'down');
      checks.target(
        `p99 back to LD-01's within ${TARGET.recoverySeconds} s`,
        back >= 0 && windows[back].from <= TARGET.recoverySeconds,
        back >= 0 ? `from ${windows[back].from} s after the spike` : 'not back before the end',
      );
    }
    await sampled.stop();
    report.samples = sampled.samples;
    report.driver = {
      dropped: tally.dropped,
      lagP99Ms: percentile(tally.lag, 99),
      sessionsRevoked: tally.sessionsRevoked,
      reuseProbes: tally.reuseDetected,
    };
    console.log(
      `driver: lag p99 ${report.driver.lagP99Ms} ms (how late operations left), dropped ${tally.dropped}`,
    );
    const last = sampled.samples.at(-1)?.instances.A ?? {};
    console.log(
      `server A: rss ${last.rssMb} MB, fds ${last.fds}, pool ${last.poolTotal}/${last.poolMax}, db connections ${sampled.samples.at(-1)?.dbConnections}`,
    );
    report.after = await checkAfter(checks, w, tally);
    report.logs = await scanLogs(checks, w, issued);
  } finally {
    for (const c of (w?.cleanups ?? []).reverse())
      await Promise.resolve()
        .then(c)
        .catch(() => undefined);
    agent.destroy();
  }
  report.checks = checks.list;
  console.log('');
  checks.print();
  const dir = resolve(import.meta.dirname, '../results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `load-${o.case}.json`), JSON.stringify(report, null, 2));
  console.log(`written ${join(dir, `load-${o.case}.json`)}`);
  if (checks.failed.length) {
    console.error(`${checks.failed.length} check(s) failed`);
    process.exit(1);
  }
}

/**
 * LD-04: while the LD-01 load runs on A, sessions signed in through B are revoked through A's admin
 * API; a subscriber of B's feed times the event, the example service (following B's feed) the first
 * refusal, and after event + 1 s it must never accept the token again.
 */
async function revocationProbes(w, b, orders, ops, rec, tally, o) {
  const seen = new Map();
  const feed = await subscribeFeed(`${b.url}/t/bench/revocations`, (e, at) => {
    if (e.type === 'session' && e.sid) seen.set(e.sid, at);
  });
  const want = 200;
  const toFeed = [];
  const toGuard = [];
  const problems = { notAcceptedBefore: 0, missedEvent: 0, notRefused: 0, acceptedAfter: 0 };
  let n = 0;
  let user = 0;
  const end = performance.now() + o.duration * 1000;
  const ordersGet = (token) =>
    send(`${orders.url}/orders`, { headers: { authorization: `Bearer ${token}` } });
  const probe = async () => {
    const t = await signIn(b, `u${USERS_PER_TENANT - (user++ % 1000)}@bench.test`);
    const sid = sidOf(t.access_token);
    if ((await ordersGet(t.access_token)).status !== 200) return problems.notAcceptedBefore++;
    const res = await send(`${w.a.url}/admin/api/tenants/bench/sessions/${sid}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${w.admin}` },
    });
    const t0 = performance.now();
    if (res.status !== 204) throw new Error(`revoke through A: ${res.status}`);
    n++;
    let refusedAt;
    while (performance.now() - t0 < 10_000 && !(refusedAt && seen.has(sid))) {
      if (!refusedAt && (await ordersGet(t.access_token)).status === 401)
        refusedAt = performance.now();
      else await sleep(2);
    }
    if (!seen.has(sid)) return problems.missedEvent++;
    if (!refusedAt) return problems.notRefused++;
    toFeed.push(Math.max(0, seen.get(sid) - t0));
    toGuard.push(refusedAt - t0);
    // after event + 1 s: refused, every time
    await sleep(Math.max(0, seen.get(sid) + 1000 - performance.now()));
    for (let k = 0; k < 3; k++) {
      if ((await ordersGet(t.access_token)).status !== 401) problems.acceptedAfter++;
      await sleep(50);
    }
  };
  const lane = async () => {
    while (n < want && performance.now() < end) await probe();
  };
  const load = drive(ops, rec, tally, { rate: o.rate, seconds: o.duration });
  try {
    await Promise.all([load, ...Array.from({ length: 4 }, lane)]);
  } finally {
    feed.close();
  }
  const stat = (v) => ({
    p50: percentile(v, 50),
    p90: percentile(v, 90),
    p99: percentile(v, 99),
    max: percentile(v, 100),
  });
  const report = { n, feed: stat(toFeed), guard: stat(toGuard), problems };
  return {
    report,
    check(checks) {
      checks.invariant(
        'every revocation reached B’s feed and the guard refused',
        n > 0 &&
          problems.missedEvent === 0 &&
          problems.notRefused === 0 &&
          problems.notAcceptedBefore === 0,
        `${n} revocations; ${JSON.stringify(problems)}`,
      );
      checks.invariant(
        'no revoked token accepted after event + 1 s',
        problems.acceptedAfter === 0,
        `${problems.acceptedAfter} acceptances in ${n * 3} tries`,
      );
      checks.target(
        `revoke → event on B p99 < ${TARGET.revocationP99} ms`,
        report.feed.p99 < TARGET.revocationP99,
        `p50 ${report.feed.p50} p99 ${report.feed.p99} ms`,
      );
      checks.target(
        `revoke → guard refusal p99 < ${TARGET.revocationP99} ms`,
        report.guard.p99 < TARGET.revocationP99,
        `p50 ${report.guard.p50} p99 ${report.guard.p99} ms`,
      );
    },
  };
}

main().catch((err) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
