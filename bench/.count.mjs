import pg from 'pg';
import { benchDatabase, basic, http } from '/work/wt-perf/bench/lib.mjs';
import { startServer, signIn, WEB } from '/work/wt-perf/bench/setup.mjs';
const db = await benchDatabase(process.env.DATABASE_URL);
const server = await startServer(db.url);
try {
  const fams = await Promise.all([1,2,3,4,5].map(i => signIn(server, `seed@bench.test`)));
  const c = new pg.Client({ connectionString: db.url }); await c.connect();
  const stat = async () => (await c.query(`select xact_commit::int, tup_inserted::int, tup_updated::int, tup_fetched::int from pg_stat_database where datname = current_database()`)).rows[0];
  await c.query('select pg_stat_clear_snapshot()');
  await new Promise(r => setTimeout(r, 1500));
  const before = await stat();
  let n = 0;
  for (const f of fams) for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    const r = await http(`${server.issuer()}/token`, { method: 'POST', headers: { authorization: basic(WEB.clientId, WEB.secret), 'content-type': 'application/x-www-form-urlencoded' }, body: `grant_type=refresh_token&refresh_token=${f.refresh_token}` });
    if (r.status !== 200) throw new Error(r.text);
    f.refresh_token = r.body.refresh_token; n++;
  }
  await new Promise(r => setTimeout(r, 1500));
  await c.query('select pg_stat_clear_snapshot()');
  const after = await stat();
  console.log('per refresh:', Object.fromEntries(Object.keys(after).map(k => [k, (after[k]-before[k])/n])));
  await c.end();
} finally { await server.stop(); await db.drop(); }
