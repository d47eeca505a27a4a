// npm run bench -- [--scenario NAME[,NAME]] [--duration SECONDS] [--connections N[,N]] [--vs-peer]
// Against DATABASE_URL (a real PostgreSQL): prints a table and writes bench/results/latest.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { createLocalJWKSet, jwtVerify } from 'jose';
import {
  basic,
  benchDatabase,
  freePort,
  http,
  load,
  memoryOf,
  percentile,
  sleep,
  startProcess,
} from './lib.mjs';
import {
  adminToken,
  CC,
  generateData,
  ORDERS,
  resourceServerCredentials,
  signIn,
  startServer,
  WEB,
} from './setup.mjs';

const SCENARIOS = [
  'refresh',
  'client-credentials',
  'introspection',
  'guard',
  'revocation-latency',
  'mixed',
];

function args(argv) {
  const o = {
    scenarios: SCENARIOS.filter((s) => s !== 'mixed'),
    duration: 10,
    connections: [10, 50, 100],
    vsPeer: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--scenario') o.scenarios = argv[++i].split(',');
    else if (a === '--duration') o.duration = Number(argv[++i]);
    else if (a === '--connections') o.connections = argv[++i].split(',').map(Number);
    else if (a === '--vs-peer') o.vsPeer = true;
    else throw new Error(`unknown argument ${a}`);
  }
  for (const s of o.scenarios)
    if (!SCENARIOS.includes(s)) throw new Error(`unknown scenario ${s} (${SCENARIOS.join(', ')})`);
  return o;
}

const results = [];
const row = (scenario, target, connections, r) => {
  results.push({ scenario, target, connections, ...r });
  const errors =
    Object.entries(r.errors ?? {})
      .map(([k, v]) => `${k}:${v}`)
      .join(' ') || '-';
  console.log(
    `${scenario.padEnd(20)} ${target.padEnd(10)} c=${String(connections).padEnd(4)} ${String(r.rps).padStart(7)} req/s  p50 ${String(r.p50).padStart(6)}  p90 ${String(r.p90 ?? '-').padStart(6)}  p99 ${String(r.p99).padStart(6)} ms  rss ${String(r.peakRssMb).padStart(4)} MB  errors ${errors}`,
  );
};

async function clientsWithFamilies(server, n, offset) {
  const out = [];
  for (let i = 0; i < n; i += 10) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(10, n - i) }, (_, j) =>
        signIn(server, `u${offset + i + j + 1}@bench.test`),
      ),
    );
    out.push(...batch);
  }
  return out;
}

async function refresh(server, o) {
  let offset = 0;
  for (const c of o.connections) {
    const families = await clientsWithFamilies(server, c, offset);
    offset += c;
    // each connection holds its own family and presents the token it was last given (no artificial reuse)
    const r = await load({
      url: `${server.issuer()}/token`,
      connections: c,
      duration: o.duration,
      pid: server.child.pid,
      requests: [
        {
          method: 'POST',
          setupRequest: (req, context) => {
            context.rt ??=
              families[
                (context.n =
                  context.n ?? (refresh.next = ((refresh.next ?? -1) + 1) % families.length))
              ].refresh_token;
            return {
              ...req,
              headers: {
                authorization: basic(WEB.clientId, WEB.secret),
                'content-type': 'application/x-www-form-urlencoded',
              },
              body: `grant_type=refresh_token&refresh_token=${context.rt}`,
            };
          },
          onResponse: (status, body, context) => {
            if (status === 200) context.rt = JSON.parse(body).refresh_token;
          },
        },
      ],
    });
    row('refresh', 'tessera', c, r);
  }
}

async function clientCredentials(server, o) {
  for (const c of o.connections) {
    const r = await load({
      url: `${server.issuer()}/token`,
      connections: c,
      duration: o.duration,
      pid: server.child.pid,
      method: 'POST',
      headers: {
        authorization: basic(CC.clientId, CC.secret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    row('client-credentials', 'tessera', c, r);
  }
}

async function introspection(server, o, admin) {
  const rs = await resourceServerCredentials(server, admin);
  const tokens = (await clientsWithFamilies(server, 50, 2000)).map((t) => t.access_token);
  let i = 0;
  for (const c of o.connections) {
    const r = await load({
      url: `${server.issuer()}/introspect`,
      connections: c,
      duration: o.duration,
      pid: server.child.pid,
      requests: [
        {
          method: 'POST',
          setupRequest: (req) => ({
            ...req,
            headers: {
              authorization: basic(rs.clientId, rs.secret),
              'content-type': 'application/x-www-form-urlencoded',
            },
            body: `token=${tokens[i++ % tokens.length]}`,
          }),
        },
      ],
    });
    row('introspection', 'tessera', c, r);
  }
}

async function guard(server, o) {
  const port = await freePort();
  const orders = await startProcess(
    ORDERS,
    {
      PORT: String(port),
      TESSERA_ISSUER: server.issuer(),
      TESSERA_AUDIENCE: 'https://orders.bench.test',
      TESSERA_CLIENT_ID: WEB.clientId,
      TESSERA_CLIENT_SECRET: WEB.secret,
    },
    `http://127.0.0.1:${port}/healthz`,
    'example-orders',
  );
  const token = (await signIn(server, 'u2100@bench.test')).access_token;
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
    for (const c of o.connections) {
      const headers = { authorization: `Bearer ${token}` };
      row(
        'guard',
        'tessera',
        c,
        await load({
          url: `http://127.0.0.1:${port}/orders`,
          connections: c,
          duration: o.duration,
          headers,
          pid: orders.child.pid,
        }),
      );
      row(
        'guard',
        'unguarded',
        c,
        await load({
          url: `http://127.0.0.1:${port}/unguarded/orders`,
          connections: c,
          duration: o.duration,
          headers,
          pid: orders.child.pid,
        }),
      );
      row(
        'guard',
        'bare-jose',
        c,
        await load({
          url: `http://127.0.0.1:${barePort}/`,
          connections: c,
          duration: o.duration,
          headers,
          pid: process.pid,
        }),
      );
    }
  } finally {
    bare.close();
    await orders.stop();
  }
}

/** Revoke through instance A; time to the event at a subscriber of instance B, and to the guard's first refusal. */
async function revocationLatency(server, o, admin, databaseUrl) {
  const b = await startServer(databaseUrl);
  const port = await freePort();
  const orders = await startProcess(
    ORDERS,
    {
      PORT: String(port),
      TESSERA_ISSUER: b.issuer(),
      TESSERA_AUDIENCE: 'https://orders.bench.test',
      TESSERA_CLIENT_ID: WEB.clientId,
      TESSERA_CLIENT_SECRET: WEB.secret,
    },
    `http://127.0.0.1:${port}/healthz`,
    'example-orders',
  );
  const seen = new Map();
  const ctrl = new AbortController();
  const stream = await fetch(`${b.issuer()}/revocations`, {
    headers: { accept: 'text/event-stream', authorization: basic(WEB.clientId, WEB.secret) },
    signal: ctrl.signal,
  });
  void (async () => {
    const reader = stream.body.getReader();
    let buf = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buf += new TextDecoder().decode(value);
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const data = /^data: (.*)$/m.exec(buf.slice(0, i))?.[1];
          buf = buf.slice(i + 2);
          if (data) seen.set(JSON.parse(data).sid, performance.now());
        }
      }
    } catch {}
  })();
  const n = Math.max(200, o.revocations ?? 200);
  const toFeed = [];
  const toGuard = [];
  try {
    for (let i = 0; i < n; i++) {
      const t = await signIn(server, `u${2200 + i}@bench.test`);
      const sid = JSON.parse(Buffer.from(t.access_token.split('.')[1], 'base64url').toString()).sid;
      const res = await fetch(`${server.url}/admin/api/tenants/bench/sessions/${sid}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${admin}` },
      });
      const t0 = performance.now();
      if (res.status !== 204) throw new Error(`revoke: ${res.status}`);
      let refusedAt;
      for (let k = 0; k < 400; k++) {
        if (
          !refusedAt &&
          (
            await fetch(`http://127.0.0.1:${port}/orders`, {
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
    ctrl.abort();
    await orders.stop();
    await b.stop();
  }
  row('revocation-latency', 'feed', 1, {
    rps: 0,
    p50: percentile(toFeed, 50),
    p90: percentile(toFeed, 90),
    p99: percentile(toFeed, 99),
    errors: { missed: n - toFeed.length },
    peakRssMb: memoryOf(server.child.pid).peakMb,
  });
  row('revocation-latency', 'guard', 1, {
    rps: 0,
    p50: percentile(toGuard, 50),
    p90: percentile(toGuard, 90),
    p99: percentile(toGuard, 99),
    errors: { missed: n - toGuard.length },
    peakRssMb: 0,
  });
}

async function main() {
  const o = args(process.argv.slice(2));
  if (!process.env.DATABASE_URL)
    throw new Error(
      'DATABASE_URL must name a PostgreSQL server (the benchmark never uses the embedded database)',
    );
  if (o.vsPeer)
    console.log('note: --vs-peer (oidc-provider side by side) is not built yet; Tessera rows only');
  const db = await benchDatabase(process.env.DATABASE_URL);
  const startedAt = new Date().toISOString();
  let server;
  try {
    server = await startServer(db.url);
    process.stdout.write('generating the data set (3 tenants, 10 000 users, 100 000 sessions)… ');
    await generateData(db.url);
    console.log('done');
    const admin = await adminToken(server, db.url);
    for (const s of o.scenarios) {
      if (s === 'refresh') await refresh(server, o);
      else if (s === 'client-credentials') await clientCredentials(server, o);
      else if (s === 'introspection') await introspection(server, o, admin);
      else if (s === 'guard') await guard(server, o);
      else if (s === 'revocation-latency') await revocationLatency(server, o, admin, db.url);
      else console.log(`${s}: not built yet`);
    }
  } finally {
    await server?.stop();
    await db.drop();
  }
  const out = resolve(import.meta.dirname, 'results');
  mkdirSync(out, { recursive: true });
  const report = {
    machine: { cpus: cpus().length, node: process.version },
    startedAt,
    results,
    ratios: [],
    ceilings: [],
  };
  writeFileSync(join(out, 'latest.json'), JSON.stringify(report, null, 2));
  console.log(`written ${join(out, 'latest.json')}`);
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
