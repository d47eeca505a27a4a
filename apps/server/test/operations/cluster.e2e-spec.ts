import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { MIGRATIONS } from '../../src/database';
import {
  createTestDatabase,
  databaseEnv,
  isServerMode,
  type TestDatabase,
} from '../../../../test-setup/test-database';
import { Browser, basic, eventually, form, send, signIn, claims } from '../support/harness';
import { subscribeFeed } from '../support/feed';
import { sample } from '../support/metrics';
import { LogoutReceiver } from '../support/receiver';
import { automationCredentials, dataDir, ensureServerBuilt } from '../support/processes';
import { spawnCluster, startCluster, via, type RunningCluster } from '../support/cluster';

const cb = 'http://127.0.0.1:9/cb';
const slug = 'acme';
const web = { clientId: 'acme-web', secret: 'a web client secret that is long enough' };
const mail = { clientId: 'acme-mail', secret: 'a mail client secret that is long enough' };
const alice = { email: 'alice@acme.test', password: 'alice has a long password' };

/**
 * Several instances on one PostgreSQL: three server processes started together by
 * scripts/cluster.mjs (what `npm run cluster -- 3` runs) on an empty database, reached one by one
 * and through the cluster's proxy.
 */
function clusterSuite() {
  let db: TestDatabase;
  let sql: Client;
  let cluster: RunningCluster;
  let data: string; // the TESSERA_DATA_DIR the instances share: where the first start leaves its credentials
  const receivers = { web: new LogoutReceiver(), mail: new LogoutReceiver() };
  let admin: string;
  const A = () => via(cluster.instances[0].url);
  const B = () => via(cluster.instances[1].url);
  const C = () => via(cluster.instances[2].url);

  /** A sign-in to web at one address, then SSO into mail: one session, two applications. */
  const signInBoth = async (at: ReturnType<typeof via>) => {
    const browser = new Browser();
    const w = await signIn(at, slug, {
      app: web,
      redirectUri: cb,
      ...alice,
      scope: 'openid',
      browser,
    });
    const m = await signIn(at, slug, {
      app: mail,
      redirectUri: cb,
      ...alice,
      scope: 'openid',
      browser,
    });
    expect(m.sid).toBe(w.sid); // SSO: the same session
    return w;
  };
  const metrics = async (url: string) => (await send(`${url}/metrics`)).text;

  beforeAll(async () => {
    await ensureServerBuilt();
    await receivers.web.start();
    await receivers.mail.start();
    const app = (c: { clientId: string; secret: string }, logout: LogoutReceiver) => ({
      clientId: c.clientId,
      name: c.clientId,
      type: 'confidential',
      clientSecret: c.secret,
      redirectUris: [cb],
      backchannelLogoutUri: logout.url,
      grantTypes: ['authorization_code', 'refresh_token'],
      policy: { rotation: true, reuseGraceSeconds: 0, onReuse: 'revoke-family' },
    });
    const file = join(mkdtempSync(join(tmpdir(), 'tessera-cluster-')), 'bootstrap.json');
    writeFileSync(
      file,
      JSON.stringify({
        tenants: [
          {
            slug,
            name: 'Acme',
            applications: [app(web, receivers.web), app(mail, receivers.mail)],
            users: [alice],
          },
        ],
      }),
    );
    db = await createTestDatabase({ empty: true });
    sql = new Client({ connectionString: db.url });
    await sql.connect();
    data = dataDir();
    cluster = await startCluster(3, {
      ...databaseEnv(db.url),
      TESSERA_DATA_DIR: data,
      TESSERA_BOOTSTRAP: file,
      TESSERA_ALLOW_PRIVATE_URIS: '1',
      DATABASE_POOL_MAX: '4',
    });
    const creds = automationCredentials(data);
    const res = await via(cluster.url).token(
      'system',
      { grant_type: 'client_credentials' },
      { clientId: creds.clientId, secret: creds.secret },
    );
    admin = res.body.access_token;
  }, 240_000);

  afterAll(async () => {
    // normally stopped by the last test; after a failure, stop it here and leave nothing behind
    if (cluster?.process.isRunning) await cluster.process.stop('SIGTERM');
    for (const i of cluster?.instances ?? []) {
      try {
        process.kill(i.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await sql?.end();
    await receivers.web.stop();
    await receivers.mail.stop();
    await db?.drop();
  });

  it('starts three instances on an empty database: each migration runs once, set-up happens once', async () => {
    expect(cluster.instances).toHaveLength(3);
    const rows = (await sql.query('SELECT name FROM migrations ORDER BY id')).rows;
    expect(rows.map((r) => r.name)).toEqual(MIGRATIONS.map((m) => m.name));
    const logs = cluster.process.logs().filter((l) => l.context === 'Database');
    const applied = logs.filter((l) => String(l.msg).startsWith('applied migrations'));
    expect(applied).toHaveLength(1);
    expect(applied[0].msg).toBe(`applied migrations: ${MIGRATIONS.map((m) => m.name).join(', ')}`);
    expect(logs.filter((l) => l.msg === 'no pending migrations')).toHaveLength(2);
    // the first start happens on exactly one instance, which says where its credentials are (and
    // never shows them: this output is a log); the bootstrap file is applied by all three
    expect(
      cluster.process.logs().filter((l) => String(l.msg).startsWith('First start:')),
    ).toHaveLength(1);
    expect(cluster.process.output).not.toContain(automationCredentials(data).secret);
    expect(cluster.process.logs().filter((l) => l.msg === 'bootstrap file applied')).toHaveLength(
      3,
    );
    expect(
      (await sql.query(`SELECT count(*)::int AS n FROM tenants WHERE slug = $1`, [slug])).rows[0].n,
    ).toBe(1);
  });

  it('detects a refresh token replayed on another instance and revokes its family', async () => {
    const first = await signIn(A(), slug, { app: web, redirectUri: cb, ...alice, scope: 'openid' });
    const rotated = await A().token(
      slug,
      { grant_type: 'refresh_token', refresh_token: first.refresh_token },
      web,
    );
    expect(rotated.status).toBe(200);
    const replay = await B().token(
      slug,
      { grant_type: 'refresh_token', refresh_token: first.refresh_token },
      web,
    );
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe('invalid_grant');
    // the newest token died with its family, whichever instance it is presented to
    const newest = await C().token(
      slug,
      { grant_type: 'refresh_token', refresh_token: rotated.body.refresh_token },
      web,
    );
    expect(newest.body.error).toBe('invalid_grant');
    const family = (
      await sql.query(
        `SELECT f.revocation_reason FROM refresh_token_families f JOIN applications a ON a.id = f.application_id
         WHERE f.session_id = $1 AND a.client_id = $2`,
        [first.sid, web.clientId],
      )
    ).rows;
    expect(family).toEqual([{ revocation_reason: 'reuse_detected' }]);
    // B saw the replay; A rotated
    expect(sample(await metrics(B().url), 'tessera_refresh_token_reuse_detected_total')).toBe(1);
    expect(sample(await metrics(A().url), 'tessera_refreshes_total{outcome="rotated"}')).toBe(1);
  });

  it('delivers a revoke made through instance C to feed subscribers of A and B', async () => {
    const signedIn = await signInBoth(A());
    const cursor = (
      await send(`${A().issuer(slug)}/revocations`, {
        headers: { authorization: basic(web.clientId, web.secret) },
      })
    ).body.cursor as string;
    const onA = await subscribeFeed(`${A().issuer(slug)}/revocations?after=${cursor}`, web);
    const onB = await subscribeFeed(`${B().issuer(slug)}/revocations?after=${cursor}`, mail);
    try {
      expect([onA.status, onB.status]).toEqual([200, 200]);
      const res = await C().json(
        'DELETE',
        `/admin/api/tenants/${slug}/sessions/${signedIn.sid}`,
        {},
        admin,
      );
      expect(res.status).toBe(204);
      for (const sub of [onA, onB])
        await eventually(() =>
          expect(sub.events.map((e) => e.data)).toContainEqual(
            expect.objectContaining({ type: 'session', sid: signedIn.sid }),
          ),
        );
    } finally {
      onA.close();
      onB.close();
    }
  });

  it('sends each back-channel logout exactly once per application, whichever instance claims it', async () => {
    const sessions = [];
    // more logouts than one claim takes (20), so more than one instance has work to take
    for (let i = 0; i < 12; i++) sessions.push(await signInBoth([A(), B(), C()][i % 3]));
    const sids = sessions.map((s) => s.sid);
    const sub = claims(sessions[0].access_token).sub as string;
    // every session ends in one transaction; all three instances are told, and race for the outbox
    const res = await B().json(
      'POST',
      `/admin/api/tenants/${slug}/users/${sub}/sign-out`,
      {},
      admin,
    );
    expect(res.status).toBe(200);
    const deliveries = async () =>
      (
        await sql.query(
          `SELECT d.session_id AS sid, a.client_id AS "clientId", d.status, d.attempts
           FROM backchannel_deliveries d JOIN applications a ON a.id = d.application_id WHERE d.session_id = ANY($1::uuid[])`,
          [sids],
        )
      ).rows;
    await eventually(async () => {
      const rows = await deliveries();
      expect(rows).toHaveLength(sids.length * 2);
      expect(rows.every((r) => r.status === 'delivered')).toBe(true);
    }, 30_000);
    // claimed once each: a second claim would have counted a second attempt
    expect((await deliveries()).every((r) => r.attempts === 1)).toBe(true);
    for (const [name, receiver] of Object.entries(receivers)) {
      const clientId = name === 'web' ? web.clientId : mail.clientId;
      const received = receiver.tokens.map((t) => claims(t)).filter((c) => sids.includes(c.sid));
      expect(received.map((c) => c.sid).sort()).toEqual([...sids].sort());
      expect(received.every((c) => c.aud === clientId)).toBe(true);
    }
    // and the instances' counters add up to the same number, whoever sent what (each counts once
    // the outcome is recorded, a moment after the receiver has the token)
    const total = receivers.web.tokens.length + receivers.mail.tokens.length;
    await eventually(async () => {
      let delivered = 0;
      for (const i of cluster.instances)
        delivered += sample(
          await metrics(i.url),
          'tessera_backchannel_deliveries_total{outcome="delivered"}',
        );
      expect(delivered).toBe(total);
    });
  });

  it('serves a whole flow through the cluster proxy: sign-in, refreshes, revocation seen on the feed', async () => {
    const proxy = via(cluster.url);
    const cursor = (
      await send(`${proxy.issuer(slug)}/revocations`, {
        headers: { authorization: basic(web.clientId, web.secret) },
      })
    ).body.cursor as string;
    const feed = await subscribeFeed(`${proxy.issuer(slug)}/revocations?after=${cursor}`, web);
    try {
      const s = await signIn(proxy, slug, { app: web, redirectUri: cb, ...alice, scope: 'openid' });
      expect(claims(s.access_token).iss).toBe(`${cluster.url}/t/${slug}`);
      let refreshToken = s.refresh_token;
      for (let i = 0; i < 4; i++) {
        // round robin: consecutive rotations land on different instances
        const r = await proxy.token(
          slug,
          { grant_type: 'refresh_token', refresh_token: refreshToken },
          web,
        );
        expect(r.status).toBe(200);
        refreshToken = r.body.refresh_token;
      }
      const revoke = await send(`${proxy.issuer(slug)}/revoke`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: basic(web.clientId, web.secret),
        },
        body: form({ token: refreshToken, token_type_hint: 'refresh_token' }),
      });
      expect(revoke.status).toBe(200);
      await eventually(() =>
        expect(feed.events.map((e) => e.data)).toContainEqual(
          expect.objectContaining({ type: 'family', sid: s.sid, client_id: web.clientId }),
        ),
      );
      const again = await proxy.token(
        slug,
        { grant_type: 'refresh_token', refresh_token: refreshToken },
        web,
      );
      expect(again.body.error).toBe('invalid_grant');
    } finally {
      feed.close();
    }
  });

  it('stops every instance on SIGTERM, each exiting cleanly', async () => {
    const exit = await cluster.process.stop('SIGTERM');
    expect(exit).toEqual({ code: 0, signal: null });
    expect(cluster.process.output).toContain('3 of 3 instances stopped cleanly');
    for (const i of cluster.instances) await expect(fetch(`${i.url}/healthz`)).rejects.toThrow();
  });
}

describe('npm run cluster', () => {
  it('refuses to start without DATABASE_URL, saying why', async () => {
    const p = spawnCluster(2, {});
    expect(await p.exited).toEqual({ code: 1, signal: null });
    expect(p.output).toMatch(
      /DATABASE_URL is not set\. Several instances need one PostgreSQL server/,
    );
    expect(p.output).toMatch(/the embedded database \(PGlite\) serves a single process/);
  });
});

if (isServerMode()) describe('several instances on one PostgreSQL', clusterSuite);
else
  describe('several instances on one PostgreSQL', () => {
    it.skip('needs DATABASE_URL naming a PostgreSQL server: the embedded database serves one process', () =>
      undefined);
  });
