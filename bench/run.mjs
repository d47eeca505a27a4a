// npm run bench -- [--scenario NAME[,NAME]] [--duration SECONDS] [--connections N[,N]] [--sessions N]
//                  [--vs-peer] [--dpop]
// Against DATABASE_URL (a real PostgreSQL): prints a table and writes bench/results/latest.json.
// With --vs-peer, oidc-provider (bench/peer) runs each comparable scenario right after Tessera, on
// another database of the same server, and pgbench measures two ceilings of refresh: the bare
// refresh-shaped transaction, and Tessera's own rotation statement on the run's data set.
// With --dpop, every refresh carries a fresh ES256 DPoP proof (RFC 9449) of its connection's key:
// its rows say `"dpop": true` and print as `refresh+dpop` (Tessera alone, not with --vs-peer).
import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createLocalJWKSet, jwtVerify } from 'jose';
import pg from 'pg';
import {
  basic,
  benchDatabase,
  claimsOf,
  freePort,
  http,
  load,
  memoryOf,
  percentile,
  sleep,
  startProcess,
} from './lib.mjs';
import { PEER } from './peer/clients.mjs';
import {
  adminToken,
  BENCH_POOL_MAX,
  CC,
  DEFAULT_SESSIONS,
  generateData,
  generatePeerData,
  resourceServerCredentials,
  signIn,
  startOrders,
  startServer,
  subscribeFeed,
  WEB,
} from './setup.mjs';

const HERE = import.meta.dirname;
const SCENARIOS = [
  'refresh',
  'client-credentials',
  'introspection',
  'guard',
  'revocation-latency',
  'mixed',
];
const COMPARED = ['refresh', 'client-credentials', 'introspection'];
const CEILING_CONNECTIONS = 50;
/** Tessera and the peer take turns this many times per concurrency (noise hits both alike). */
const SLICES = 2;

function args(argv) {
  const o = {
    scenarios: SCENARIOS,
    duration: undefined,
    connections: [10, 50, 100],
    vsPeer: false,
    sessions: DEFAULT_SESSIONS,
    dpop: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--scenario') o.scenarios = argv[++i].split(',');
    else if (a === '--duration') o.duration = Number(argv[++i]);
    else if (a === '--connections') o.connections = argv[++i].split(',').map(Number);
    else if (a === '--sessions') o.sessions = Number(argv[++i]);
    else if (a === '--vs-peer') o.vsPeer = true;
    else if (a === '--dpop') o.dpop = true;
    else throw new Error(`unknown argument ${a}`);
  }
  for (const s of o.scenarios)
    if (!SCENARIOS.includes(s)) throw new Error(`unknown scenario ${s} (${SCENARIOS.join(', ')})`);
  // the peer is not set up for DPoP: the ratio rows would compare unlike requests
  if (o.dpop && o.vsPeer) throw new Error('--dpop: Tessera alone, not with --vs-peer');
  if (o.duration !== undefined && !(o.duration > 0)) throw new Error('--duration: seconds > 0');
  if (!(Number.isInteger(o.sessions) && o.sessions >= 3000))
    throw new Error('--sessions: an integer, at least 3 000 (1 000 per tenant)');
  if (!o.connections.every((c) => Number.isInteger(c) && c > 0))
    throw new Error('--connections: positive integers');
  // the mixed blend runs a minute unless told otherwise
  o.mixedDuration = o.duration ?? 60;
  o.duration ??= 10;
  return o;
}

const results = [];
/** The generated data set's live sessions (`--sessions N`): every row says which size it ran on. */
const dataSet = { sessions: DEFAULT_SESSIONS };
/** Rows of `npm run cluster -- 2` (--vs-peer): extra information, kept out of latest.json's rows. */
const clusterResults = [];
const CLUSTER = 'cluster-2';
// eslint-disable-next-line @typescript-eslint/no-unused-vars
const row = (scenario, target, connections, { cpuMsPerRequest, total, ...r }) => {
  (target === CLUSTER ? clusterResults : results).push({
    scenario,
    target,
    connections,
    sessions: dataSet.sessions,
    ...r,
  });
  const errors =
    Object.entries(r.errors ?? {})
      .map(([k, v]) => `${k}:${v}`)
      .join(' ') || '-';
  const label = r.dpop ? `${scenario}+dpop` : scenario;
  console.log(
    `${label.padEnd(20)} ${target.padEnd(10)} c=${String(connections).padEnd(4)} ${String(r.rps).padStart(7)} req/s  p50 ${String(r.p50).padStart(6)}  p90 ${String(r.p90 ?? '-').padStart(6)}  p99 ${String(r.p99).padStart(6)} ms  rss ${String(r.peakRssMb || '-').padStart(4)} MB  cpu/req ${cpuMsPerRequest ? `${cpuMsPerRequest} ms` : '-'}  errors ${errors}`,
  );
};

const FORM = 'application/x-www-form-urlencoded';

/** Tessera as a target of the compared scenarios. */
function tesseraTarget(server, admin) {
  let signedIn = 0;
  let rs;
  return {
    name: 'tessera',
    pid: server.child.pid,
    tokenUrl: `${server.issuer()}/token`,
    introspectUrl: `${server.issuer()}/introspect`,
    web: basic(WEB.clientId, WEB.secret),
    cc: basic(CC.clientId, CC.secret),
    rs: async () => {
      rs ??= await resourceServerCredentials(server, await admin());
      return basic(rs.clientId, rs.secret);
    },
    /** n sign-ins through the browser flow (authorize, form, code exchange), ten at a time. */
    async signIns(n) {
      const out = [];
      for (let i = 0; i < n; i += 10) {
        const batch = await Promise.all(
          Array.from({ length: Math.min(10, n - i) }, () =>
            signIn(server, `u${++signedIn}@bench.test`),
          ),
        );
        out.push(...batch);
      }
      return out;
    },
  };
}

/** oidc-provider as a target: its grants are created through its own models (POST /bench/seed). */
function peerTarget(peer) {
  return {
    name: 'peer',
    pid: peer.child.pid,
    tokenUrl: `${peer.url}/token`,
    introspectUrl: `${peer.url}/token/introspection`,
    web: basic(PEER.web.clientId, PEER.web.secret),
    cc: basic(PEER.cc.clientId, PEER.cc.secret),
    rs: async () => basic(PEER.rs.clientId, PEER.rs.secret),
    async signIns(n) {
      const res = await http(`${peer.url}/bench/seed?n=${n}`, { method: 'POST' });
      if (res.status !== 200) throw new Error(`peer seed: ${res.status} ${res.text}`);
      return res.body;
    },
  };
}

/**
 * Each connection holds its own family and presents the token it was last given (no artificial
 * reuse). autocannon resets a request's `context` at every loop, so the token lives in a closure
 * per connection (setupClient).
 */
function refreshClients(target, families, dpop = false) {
  let next = 0;
  const headers = { authorization: target.web, 'content-type': FORM };
  return (client) => {
    const family = families[next++ % families.length];
    const proof = dpop ? dpopProver(target.tokenUrl) : undefined;
    client.setRequests([
      {
        method: 'POST',
        setupRequest: (req) => ({
          ...req,
          headers: proof ? { ...headers, dpop: proof() } : headers,
          body: `grant_type=refresh_token&refresh_token=${family.refresh_token}`,
        }),
        onResponse: (status, body) => {
          if (status === 200) family.refresh_token = JSON.parse(body).refresh_token;
        },
      },
    ]);
  };
}

/**
 * A client's DPoP key (ES256) and a signer of proofs for POSTs to `htu`: a fresh `jti` and `iat`
 * each, as RFC 9449 §4.2 wants (a proof is accepted once). Synchronous: autocannon's setupRequest
 * cannot wait.
 */
function dpopProver(htu) {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { kty, crv, x, y } = publicKey.export({ format: 'jwk' });
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const header = b64({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty, crv, x, y } });
  return () => {
    const input = `${header}.${b64({ htm: 'POST', htu, iat: Math.floor(Date.now() / 1000), jti: randomUUID() })}`;
    const sig = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
    return `${input}.${sig.toString('base64url')}`;
  };
}

/**
 * Runs one scenario at one concurrency against each target, interleaved in slices (Tessera, peer,
 * Tessera, peer…) so that both meet the same machine load; rows merge the slices exactly
 * (latencies of every request, requests per second over the whole time).
 */
async function compare(scenario, targets, c, o, build, tags = {}) {
  const slices = targets.length > 1 ? SLICES : 1;
  const acc = new Map(
    targets.map((t) => [t, { latencies: [], errors: {}, seconds: 0, rss: 0, cpu: 0 }]),
  );
  for (let i = 0; i < slices; i++)
    for (const t of targets) {
      const a = acc.get(t);
      const started = performance.now();
      const r = await load({
        ...(await build(t)),
        connections: c,
        duration: o.duration / slices,
        pid: t.pid,
        onResponse: (_status, ms) => a.latencies.push(ms),
      });
      a.seconds += (performance.now() - started) / 1000;
      for (const [k, v] of Object.entries(r.errors)) a.errors[k] = (a.errors[k] ?? 0) + v;
      a.rss = Math.max(a.rss, r.peakRssMb);
      a.cpu += r.cpuMsPerRequest * r.total;
    }
  for (const [t, a] of acc) {
    const n = a.latencies.length;
    row(scenario, t.name, c, {
      ...tags,
      rps: Math.round(n / a.seconds),
      p50: percentile(a.latencies, 50),
      p90: percentile(a.latencies, 90),
      p99: percentile(a.latencies, 99),
      errors: a.errors,
      peakRssMb: a.rss,
      cpuMsPerRequest: n ? Math.round((a.cpu / n) * 100) / 100 : 0,
    });
  }
}

async function refresh(targets, o) {
  for (const c of o.connections)
    // fresh families for every slice: a request cut off at the end of a slice may have rotated a
    // token whose successor never arrived, and presenting it again would be reuse
    await compare(
      'refresh',
      targets,
      c,
      o,
      async (t) => ({
        url: t.tokenUrl,
        setupClient: refreshClients(t, await t.signIns(c), o.dpop),
      }),
      o.dpop ? { dpop: true } : {},
    );
}

/**
 * The compared scenarios at c=50 against `npm run cluster -- 2` (two server processes behind its
 * round-robin proxy) on the same database: extra information beside the single-process rows that
 * the ratios use. The proxy is one more process on the same cores; the instances' RSS is not
 * sampled (the row's pid is the proxy's).
 */
async function clusterRows(db, tessera, admin, o) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const cluster = await startProcess(
    join(HERE, '..', 'scripts', 'cluster.mjs'),
    {
      PORT: String(port),
      PUBLIC_URL: url,
      DATABASE_URL: db.url,
      // two instances: the single process's connections in all
      DATABASE_POOL_MAX: String(BENCH_POOL_MAX / 2),
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    },
    `${url}/readyz`,
    'cluster',
  );
  try {
    const server = { url, child: cluster.child, issuer: (slug = 'bench') => `${url}/t/${slug}` };
    // the resource server's credentials live in the database: the same for every instance
    const target = {
      ...tesseraTarget(server, admin),
      name: CLUSTER,
      pid: undefined,
      rs: tessera.rs,
    };
    const at50 = { ...o, connections: [CEILING_CONNECTIONS] };
    for (const s of o.scenarios) {
      if (s === 'refresh') await refresh([target], at50);
      else if (s === 'client-credentials') await clientCredentials([target], at50);
      else if (s === 'introspection') await introspection([target], at50);
    }
  } finally {
    await cluster.stop();
  }
}

const CC_BODY = 'grant_type=client_credentials&scope=orders%3Aread';

async function clientCredentials(targets, o) {
  for (const c of o.connections)
    await compare('client-credentials', targets, c, o, (t) => ({
      url: t.tokenUrl,
      method: 'POST',
      headers: { authorization: t.cc, 'content-type': FORM },
      body: CC_BODY,
    }));
}

/** Tessera introspects its JWT access tokens; the peer refuses JWTs, so it gets its opaque ones. */
function introspectionRequests(authorization, tokens) {
  let i = 0;
  return [
    {
      method: 'POST',
      setupRequest: (req) => ({
        ...req,
        headers: { authorization, 'content-type': FORM },
        body: `token=${tokens[i++ % tokens.length]}`,
      }),
    },
  ];
}

async function introspection(targets, o) {
  const prepared = new Map();
  for (const t of targets)
    prepared.set(t, {
      authorization: await t.rs(),
      tokens: (await t.signIns(50)).map((x) => x.access_token),
    });
  for (const c of o.connections)
    await compare('introspection', targets, c, o, (t) => ({
      url: t.introspectUrl,
      requests: introspectionRequests(prepared.get(t).authorization, prepared.get(t).tokens),
    }));
}

async function guard(server, tessera, o) {
  const orders = await startOrders(server.issuer());
  const [{ access_token: token }] = await tessera.signIns(1);
  const jwks = createLocalJWKSet((await http(`${server.issuer()}/jwks.json`)).body);
  const bare = createServer((req, res) => {
    jwtVerify(req.headers.authorization.slice(7), jwks, {
      issuer: server.issuer(),
      audience: 'https://orders.bench.test',
      typ: 'at+jwt',
    }).then(
      () => res.writeHead(200, { 'content-type': 'application/json' }).end('[]'),
      () => res.writeHead(401).end(),
    );
  });
  const barePort = await freePort();
  await new Promise((r) => bare.listen(barePort, '127.0.0.1', r));
  try {
    const headers = { authorization: `Bearer ${token}` };
    // in turns, like Tessera and the peer: the three meet the same machine load
    const variants = [
      { name: 'tessera', url: `${orders.url}/orders`, pid: orders.child.pid },
      { name: 'unguarded', url: `${orders.url}/unguarded/orders`, pid: orders.child.pid },
      { name: 'bare-jose', url: `http://127.0.0.1:${barePort}/`, pid: process.pid },
    ];
    for (const c of o.connections)
      await compare('guard', variants, c, o, (v) => ({ url: v.url, headers }));
  } finally {
    bare.close();
    await orders.stop();
  }
}

/**
 * Two instances behind one public URL (A's): revoke through instance B's admin API; time to the
 * event at a feed subscriber of instance A, and to the first refusal by a guard following A's feed.
 */
async function revocationLatency(server, tessera, adminOf, databaseUrl) {
  const admin = await adminOf();
  const b = await startServer(databaseUrl, { PUBLIC_URL: server.url });
  const orders = await startOrders(server.issuer());
  const seen = new Map();
  const feed = await subscribeFeed(`${server.issuer()}/revocations`, (event, at) =>
    seen.set(event.sid, at),
  );
  const n = 200;
  const toFeed = [];
  const toGuard = [];
  try {
    const signedIn = await tessera.signIns(n);
    for (const t of signedIn) {
      const { sid } = claimsOf(t.access_token);
      // the guard has accepted (and cached) the token before it is revoked
      const before = await fetch(`${orders.url}/orders`, {
        headers: { authorization: `Bearer ${t.access_token}` },
      });
      if (before.status !== 200) throw new Error(`guard before revoke: ${before.status}`);
      const res = await fetch(`${b.url}/admin/api/tenants/bench/sessions/${sid}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${admin}` },
      });
      const t0 = performance.now();
      if (res.status !== 204) throw new Error(`revoke: ${res.status}`);
      let refusedAt;
      for (let k = 0; k < 2000; k++) {
        if (
          !refusedAt &&
          (
            await fetch(`${orders.url}/orders`, {
              headers: { authorization: `Bearer ${t.access_token}` },
            })
          ).status === 401
        )
          refusedAt = performance.now();
        if (refusedAt && seen.has(sid)) break;
        await sleep(1);
      }
      if (seen.has(sid)) toFeed.push(Math.max(0, seen.get(sid) - t0));
      if (refusedAt) toGuard.push(refusedAt - t0);
    }
  } finally {
    feed.close();
    await orders.stop();
    await b.stop();
  }
  const stats = (values, missed, peakRssMb) => ({
    rps: 0,
    p50: percentile(values, 50),
    p90: percentile(values, 90),
    p99: percentile(values, 99),
    errors: missed ? { missed } : {},
    peakRssMb,
  });
  row(
    'revocation-latency',
    'feed',
    1,
    stats(toFeed, n - toFeed.length, memoryOf(server.child.pid).peakMb),
  );
  row('revocation-latency', 'guard', 1, stats(toGuard, n - toGuard.length, 0));
}

/**
 * A blend for a minute, all at once: 40 % of the connections on guarded reads of the example
 * service, 20 % refreshing their own families, 15 % introspecting, 10 % client_credentials, 10 %
 * listing sessions in the admin API, 5 % signing in (browser flow) and revoking that session.
 * One row: total requests/s, latencies merged over every request of every part.
 */
async function mixed(server, tessera, adminOf, o) {
  const orders = await startOrders(server.issuer());
  try {
    for (const c of o.connections) {
      const admin = await adminOf();
      const share = (p) => Math.max(1, Math.round(c * p));
      const [{ access_token: bearer }] = await tessera.signIns(1);
      const families = await tessera.signIns(share(0.2));
      const tokens = (await tessera.signIns(20)).map((x) => x.access_token);
      const rs = await tessera.rs();
      const latencies = [];
      const errors = {};
      const onResponse = (status, ms) => {
        latencies.push(ms);
        if (status >= 400) errors[status] = (errors[status] ?? 0) + 1;
      };
      const d = o.mixedDuration;
      const parts = [
        load({
          url: `${orders.url}/orders`,
          connections: share(0.4),
          duration: d,
          headers: { authorization: `Bearer ${bearer}` },
          onResponse,
        }),
        load({
          url: tessera.tokenUrl,
          connections: share(0.2),
          duration: d,
          setupClient: refreshClients(tessera, families),
          onResponse,
        }),
        load({
          url: tessera.introspectUrl,
          connections: share(0.15),
          duration: d,
          requests: introspectionRequests(rs, tokens),
          onResponse,
        }),
        load({
          url: tessera.tokenUrl,
          connections: share(0.1),
          duration: d,
          method: 'POST',
          headers: { authorization: tessera.cc, 'content-type': FORM },
          body: CC_BODY,
          onResponse,
        }),
        load({
          url: `${server.url}/admin/api/tenants/bench/sessions?limit=20`,
          connections: share(0.1),
          duration: d,
          headers: { authorization: `Bearer ${admin}` },
          onResponse,
        }),
      ];
      const until = Date.now() + d * 1000;
      const signInLoop = async () => {
        while (Date.now() < until) {
          const t0 = performance.now();
          const [t] = await tessera.signIns(1);
          onResponse(200, performance.now() - t0);
          const { sid } = claimsOf(t.access_token);
          const t1 = performance.now();
          const res = await fetch(`${server.url}/admin/api/tenants/bench/sessions/${sid}`, {
            method: 'DELETE',
            headers: { authorization: `Bearer ${admin}` },
          });
          onResponse(res.status === 204 ? 200 : res.status, performance.now() - t1);
        }
      };
      parts.push(...Array.from({ length: share(0.05) }, signInLoop));
      const started = performance.now();
      const settled = await Promise.all(parts);
      const seconds = (performance.now() - started) / 1000;
      for (const r of settled.slice(0, 5))
        for (const [k, v] of Object.entries(r?.errors ?? {}))
          if (!/^\d+$/.test(k)) errors[k] = (errors[k] ?? 0) + v;
      row('mixed', 'tessera', c, {
        rps: Math.round(latencies.length / seconds),
        p50: percentile(latencies, 50),
        p90: percentile(latencies, 90),
        p99: percentile(latencies, 99),
        errors,
        peakRssMb: memoryOf(server.child.pid).peakMb,
      });
    }
  } finally {
    await orders.stop();
  }
}

/** pgbench -M prepared: `clients` clients for `duration` seconds; its tps and transactions. */
async function pgbench(databaseUrl, script, clients, duration, defines = []) {
  const { stdout } = await promisify(execFile)(
    process.env.PGBENCH ?? '/usr/bin/pgbench',
    [
      '-n',
      '-M',
      'prepared',
      '-c',
      String(clients),
      '-j',
      String(Math.min(clients, cpus().length)),
      '-T',
      String(duration),
      ...defines.flatMap((d) => ['-D', d]),
      '-f',
      script,
      databaseUrl,
    ],
    { maxBuffer: 1 << 20 },
  );
  const tps = Number(/tps = ([\d.]+)/.exec(stdout)?.[1]);
  if (!tps) throw new Error(`pgbench: no tps in ${stdout}`);
  const transactions = Number(/actually processed: (\d+)/.exec(stdout)?.[1]);
  return { tps: Math.round(tps), transactions };
}

/** The bare database ceiling of the refresh transaction: pgbench -M prepared on 100 000 tokens. */
async function ceiling(serverUrl, o) {
  const db = await benchDatabase(serverUrl, '_ceiling');
  try {
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      // one statement at a time: VACUUM refuses the implicit transaction of a multi-statement query
      const sql = readFileSync(join(HERE, 'ceiling-setup.sql'), 'utf8').replace(/^--.*$/gm, '');
      for (const statement of sql.split(/;\s*$/m).filter((x) => x.trim())) await c.query(statement);
    } finally {
      await c.end();
    }
    const clients = o.connections.includes(CEILING_CONNECTIONS)
      ? CEILING_CONNECTIONS
      : Math.min(CEILING_CONNECTIONS, Math.max(...o.connections));
    const { tps } = await pgbench(
      db.url,
      join(HERE, 'refresh-ceiling.pgbench'),
      clients,
      o.duration,
    );
    return { clients, tps };
  } finally {
    await db.drop();
  }
}

async function tokensOf(databaseUrl, tenantId) {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const { rows } = await c.query(
      'SELECT count(*)::int AS n FROM refresh_tokens WHERE tenant_id = $1',
      [tenantId],
    );
    return rows[0].n;
  } finally {
    await c.end();
  }
}

/** The `-- tessera_rotate` section of the reviewed SQL snapshot: the statement as the server sends it. */
function rotationStatement() {
  const file = join(HERE, '../apps/server/src/queries/sessions.repository.sql');
  const text = readFileSync(file, 'utf8');
  // sections are separated by blank lines, each opening with its statement's name
  const section = text
    .split(/\n\s*\n/)
    .find((block) => block.startsWith('-- tessera_rotate\n'))
    ?.slice('-- tessera_rotate\n'.length);
  if (!section) throw new Error(`no "-- tessera_rotate" section in ${file}`);
  return section.trim();
}

/**
 * The rotation statement's own ceiling: pgbench -M prepared sending Tessera's rotation statement,
 * exactly as the server does (the same text, the same seven parameters), against the run's data
 * set (`--sessions N`) on the server's own database. Each pgbench client walks its own share of the
 * `bench` tenant's generated tokens and, once through, their successors, so every rotation is a
 * successful one (a consumed token would take the statement's refusal, a cheaper path). pgbench
 * cannot compute a uuid or a hash, so one table-free SELECT before each rotation makes the
 * successor's id and the two hashes (`\gset`); at c = 50 it costs a round trip against the
 * rotation's commit wait, and it counts against the ceiling, never for Tessera.
 */
async function statementCeiling(databaseUrl, server, admin, o) {
  const headers = { authorization: `Bearer ${await admin()}` };
  const app = await http(`${server.url}/admin/api/tenants/bench/applications/bench-web`, {
    headers,
  });
  if (app.status !== 200) throw new Error(`bench-web: ${app.status}`);
  const { durationToSeconds } = await import('../libs/contracts/dist/index.js');
  const policy = app.body.effectivePolicy;
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  let ids;
  try {
    ({
      rows: [ids],
    } = await c.query(
      `SELECT t.id AS tenant, a.id AS app, (SELECT count(*) FROM refresh_token_families f
         WHERE f.tenant_id = t.id AND f.application_id = a.id)::int AS tokens
       FROM tenants t JOIN applications a ON a.tenant_id = t.id AND a.client_id = 'bench-web'
       WHERE t.slug = 'bench'`,
    ));
  } finally {
    await c.end();
  }
  const clients = o.connections.includes(CEILING_CONNECTIONS)
    ? CEILING_CONNECTIONS
    : Math.min(CEILING_CONNECTIONS, Math.max(...o.connections));
  // the bench tenant's generated tokens are k = 1 … ids.tokens (it comes first): a block each
  const block = Math.floor(ids.tokens / clients);
  const statement = rotationStatement().replace(
    /\$([1-7])\b/g,
    (_, n) => `:${['old', 'tenant', 'app', 'nid', 'new', 'ttl', 'slide'][n - 1]}`,
  );
  const script = [
    '\\set i :i + 1',
    '\\set k 1 + :client_id * :block + ((:i - 1) % :block)',
    '\\set g (:i - 1) / :block',
    // the statement takes parallel arrays (one entry per rotation of a batch): pgbench sends a
    // batch of one, each parameter a one-element array literal
    `SELECT ARRAY[gen_random_uuid()] AS nid, ARRAY[sha256(int8send(:k) || int4send(:g))] AS old, ARRAY[sha256(int8send(:k) || int4send(:g + 1))] AS new \\gset`,
    `${statement};`,
    '',
  ].join('\n');
  if (!policy.sliding) throw new Error('the bench application does not slide sessions');
  const before = await tokensOf(databaseUrl, ids.tenant);
  const dir = mkdtempSync(join(tmpdir(), 'tessera-statement-'));
  try {
    writeFileSync(join(dir, 'rotate.pgbench'), script);
    const { tps, transactions } = await pgbench(
      databaseUrl,
      join(dir, 'rotate.pgbench'),
      clients,
      o.duration,
      [
        'i=0',
        `block=${block}`,
        `tenant={${ids.tenant}}`,
        `app={${ids.app}}`,
        `ttl={${durationToSeconds(policy.refreshIdleTtl)}}`,
        `slide={${durationToSeconds(policy.sessionIdleTtl)}}`,
      ],
    );
    // every transaction must have rotated (one successor each): a refused presentation would
    // take the statement's cheaper path and flatter the ceiling
    const issued = (await tokensOf(databaseUrl, ids.tenant)) - before;
    if (issued !== transactions)
      throw new Error(
        `refresh-statement: ${transactions} transactions issued ${issued} successors`,
      );
    return { clients, tps, transactions };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const o = args(process.argv.slice(2));
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl)
    throw new Error(
      'DATABASE_URL must name a PostgreSQL server (the benchmark never uses the embedded database)',
    );
  const startedAt = new Date().toISOString();
  const dbs = [];
  const stops = [];
  const ratios = [];
  const ceilings = [];
  try {
    const db = await benchDatabase(serverUrl);
    dbs.push(db);
    const server = await startServer(db.url);
    stops.push(() => server.stop());
    dataSet.sessions = o.sessions;
    process.stdout.write(
      `generating the data set (3 tenants, 10 000 users, ${o.sessions.toLocaleString('en')} sessions)… `,
    );
    let t0 = performance.now();
    await generateData(db.url, o.sessions);
    console.log(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    // admin access tokens live minutes: a fresh one for each scenario that needs one
    const admin = () => adminToken(server);
    const tessera = tesseraTarget(server, admin);
    const targets = [tessera];
    if (o.vsPeer) {
      const peerDb = await benchDatabase(serverUrl, '_peer');
      dbs.push(peerDb);
      const port = await freePort();
      const peer = await startProcess(
        join(HERE, 'peer/server.mjs'),
        { PORT: String(port), DATABASE_URL: peerDb.url, DATABASE_POOL_MAX: String(BENCH_POOL_MAX) },
        `http://127.0.0.1:${port}/healthz`,
        'peer (oidc-provider)',
      );
      stops.push(() => peer.stop());
      process.stdout.write(
        `peer: oidc-provider with ${o.sessions.toLocaleString('en')} grants and refresh tokens… `,
      );
      t0 = performance.now();
      await generatePeerData(peerDb.url, o.sessions);
      console.log(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      targets.push(peerTarget({ ...peer, url: `http://127.0.0.1:${port}` }));
    }
    for (const s of o.scenarios) {
      if (s === 'refresh') {
        await refresh(targets, o);
        if (o.vsPeer) {
          const ours = (clients) =>
            results.find(
              (r) =>
                r.scenario === 'refresh' && r.target === 'tessera' && r.connections === clients,
            );
          for (const [name, measure, how] of [
            ['refresh-transaction', () => ceiling(serverUrl, o), 'the bare refresh transaction'],
            [
              'refresh-statement',
              () => statementCeiling(db.url, server, admin, o),
              'Tessera’s rotation statement',
            ],
          ]) {
            const ceil = await measure();
            const mine = ours(ceil.clients);
            const ratio = mine ? Math.round((mine.rps / ceil.tps) * 100) / 100 : 0;
            ceilings.push({ name, tps: ceil.tps, tessera_over_ceiling: ratio });
            console.log(
              `${name.padEnd(20)} pgbench    c=${String(ceil.clients).padEnd(4)} ${String(ceil.tps).padStart(7)} tx/s   (-M prepared, ${how}; Tessera refresh at c=${ceil.clients} = ${ratio} of it)`,
            );
          }
        }
      } else if (s === 'client-credentials') await clientCredentials(targets, o);
      else if (s === 'introspection') await introspection(targets, o);
      else if (s === 'guard') await guard(server, tessera, o);
      else if (s === 'revocation-latency') await revocationLatency(server, tessera, admin, db.url);
      else if (s === 'mixed') await mixed(server, tessera, admin, o);
    }
    if (o.vsPeer && o.scenarios.some((s) => COMPARED.includes(s)))
      await clusterRows(db, tessera, admin, o);
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    for (const db of dbs) await db.drop().catch(() => undefined);
  }
  if (o.vsPeer) {
    console.log('\nTessera / peer (oidc-provider 9), requests/s, same run:');
    for (const scenario of COMPARED)
      for (const c of o.connections) {
        const of = (target) =>
          results.find(
            (r) => r.scenario === scenario && r.target === target && r.connections === c,
          );
        const ours = of('tessera');
        const theirs = of('peer');
        if (!ours || !theirs) continue;
        const ratio = theirs.rps ? Math.round((ours.rps / theirs.rps) * 100) / 100 : 0;
        ratios.push({ scenario, connections: c, tessera_over_peer: ratio });
        const note =
          scenario === 'introspection'
            ? '  (Tessera: its JWT access tokens; peer: its opaque ones, it refuses JWTs)'
            : '';
        console.log(
          `${scenario.padEnd(20)} c=${String(c).padEnd(4)} ${String(ours.rps).padStart(7)} / ${String(theirs.rps).padStart(7)} = ${ratio.toFixed(2)}×  p99 ${ours.p99} / ${theirs.p99} ms${note}`,
        );
      }
    for (const r of clusterResults) {
      const single = results.find(
        (x) =>
          x.scenario === r.scenario && x.target === 'tessera' && x.connections === r.connections,
      );
      if (single)
        console.log(
          `${r.scenario.padEnd(20)} c=${String(r.connections).padEnd(4)} ${String(r.rps).padStart(7)} req/s on npm run cluster -- 2 = ${(r.rps / single.rps).toFixed(2)}× one process (extra, not a ratio row)`,
        );
    }
    for (const c of ceilings)
      console.log(
        `${`refresh / ${c.name.replace('refresh-', '')}`.padEnd(20)} ${c.tessera_over_ceiling.toFixed(2)} of pgbench's ${c.tps} tx/s`,
      );
  }
  for (const c of o.connections) {
    const of = (target) =>
      results.find((r) => r.scenario === 'guard' && r.target === target && r.connections === c);
    if (of('tessera') && of('unguarded'))
      console.log(
        `${'guard / unguarded'.padEnd(20)} c=${String(c).padEnd(4)} ${(of('tessera').rps / of('unguarded').rps).toFixed(2)} of the unguarded route's requests/s`,
      );
  }
  const out = resolve(HERE, 'results');
  mkdirSync(out, { recursive: true });
  const report = {
    machine: { cpus: cpus().length, node: process.version },
    startedAt,
    sessions: o.sessions,
    results,
    ratios,
    ceilings,
  };
  writeFileSync(join(out, 'latest.json'), JSON.stringify(report, null, 2));
  console.log(`written ${join(out, 'latest.json')}`);
  if (clusterResults.length) {
    const extra = { machine: report.machine, startedAt, instances: 2, results: clusterResults };
    writeFileSync(join(out, 'cluster.json'), JSON.stringify(extra, null, 2));
    console.log(`written ${join(out, 'cluster.json')}`);
  }
}

main().catch((err) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
