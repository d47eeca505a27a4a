// npm run bench:retention-cost -- [--batch 1000] [--consumed 3]
// What one full retention run costs: the bench data set (100 000 sessions, each with a surface, a
// refresh-token family and its live token) plus `--consumed` consumed refresh tokens per family,
// every session past its absolute expiry and the history window (SQL), then a server on that
// database runs the job once on its timer. Prints the run's duration (the server's own histogram),
// the rows it deleted by table and per second, the tables' bytes before and after, and the
// duration of the next run, which finds nothing to delete. Writes bench/results/retention-cost.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { benchDatabase, scrapeMetrics, sleep, tableSizes } from '../lib.mjs';
import { generateData, startServer } from '../setup.mjs';

const TABLES = [
  'sessions',
  'session_surfaces',
  'refresh_token_families',
  'refresh_tokens',
  'authorization_codes',
];

function options(argv) {
  const o = { batch: 1000, consumed: 3 };
  for (let i = 0; i < argv.length; i += 2) {
    const [k, v] = [argv[i], argv[i + 1]];
    if (k === '--batch') o.batch = Number(v);
    else if (k === '--consumed') o.consumed = Number(v);
    else throw new Error(`unknown option ${k}`);
  }
  return o;
}

/** Rows and megabytes per table. */
async function sizes(c) {
  const out = {};
  for (const [t, { rows, bytes }] of Object.entries(await tableSizes(c, TABLES)))
    out[t] = { rows, mb: Number((bytes / 2 ** 20).toFixed(1)) };
  return out;
}

async function main() {
  const o = options(process.argv.slice(2));
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl)
    throw new Error('DATABASE_URL: a PostgreSQL server (the case makes its own database)');
  const db = await benchDatabase(serverUrl, '_retention');
  const c = new pg.Client({ connectionString: db.url });
  try {
    // a first start migrates and applies the bench bootstrap; the data set goes in behind it
    const first = await startServer(db.url, { TESSERA_RETENTION_INTERVAL_SECONDS: '0' });
    await first.stop();
    await generateData(db.url);
    await c.connect();
    await c.query(
      `INSERT INTO refresh_tokens (id, tenant_id, family_id, token_hash, generation, idle_expires_at, used_at)
       SELECT gen_random_uuid(), f.tenant_id, f.id, sha256(uuid_send(gen_random_uuid())), g, now() + interval '14 days', now()
       FROM refresh_token_families f CROSS JOIN generate_series(1, $1) g`,
      [o.consumed],
    );
    await c.query(
      `UPDATE sessions SET absolute_expires_at = now() - interval '31 days', idle_expires_at = now() - interval '31 days'`,
    );
    await c.query('VACUUM ANALYZE');
    const before = await sizes(c);
    console.log(`[retention-cost] before: ${JSON.stringify(before)}`);

    const server = await startServer(db.url, {
      TESSERA_RETENTION_INTERVAL_SECONDS: '5',
      TESSERA_RETENTION_BATCH_SIZE: String(o.batch),
      LOG_LEVEL: 'info', // the run's log line times it
    });
    let m = {};
    try {
      for (;;) {
        await sleep(500);
        m = await scrapeMetrics(`${server.url}/metrics`);
        if ((m.tessera_retention_run_duration_seconds_count ?? 0) >= 2) break;
      }
    } finally {
      await server.stop();
    }
    const after = await sizes(c);
    const pruned = {};
    for (const [k, v] of Object.entries(m)) {
      const hit = /^tessera_retention_rows_pruned_total\{table="([^"]+)"\}$/.exec(k);
      if (hit) pruned[hit[1]] = v;
    }
    // the first run is timed by its log line; the second (nothing to delete) is the rest of the
    // histogram's sum
    const total = Object.values(pruned).reduce((a, b) => a + b, 0);
    const both = m.tessera_retention_run_duration_seconds_sum;
    const lines = server
      .output()
      .split('\n')
      .filter((l) => l.includes('retention run deleted'));
    const firstRun = Number(/in ([\d.]+) s/.exec(lines[0] ?? '')?.[1] ?? both);
    const result = {
      options: o,
      before,
      after,
      pruned,
      firstRunSeconds: firstRun,
      rowsPerSecond: Math.round(total / firstRun),
      sessionsPerSecond: Math.round((pruned.sessions ?? 0) / firstRun),
      emptyRunSeconds: Number((both - firstRun).toFixed(3)),
    };
    console.log(`[retention-cost] after: ${JSON.stringify(after)}`);
    console.log(`[retention-cost] deleted: ${JSON.stringify(pruned)} (${total} rows)`);
    console.log(
      `[retention-cost] first run ${firstRun.toFixed(2)} s (batches of ${o.batch}): ${result.rowsPerSecond} rows/s, ${result.sessionsPerSecond} sessions/s; the next run, with nothing to delete: ${result.emptyRunSeconds} s`,
    );
    const dir = resolve(import.meta.dirname, '../results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'retention-cost.json'), JSON.stringify(result, null, 2));
  } finally {
    await c.end().catch(() => undefined);
    await db.drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
