import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { ReadRouter } from '../../src/database';
import { describeOnServer } from '../support/faults';
import { eventually, freePort, send, useTestServer } from '../support/harness';
import { world, type World } from '../support/world';

/**
 * DATABASE_READ_URL on a real streaming replica: the test starts a primary (initdb, wal_level
 * replica) and a standby made by `pg_basebackup -R`, each on a free port, and the server under test
 * on both. Replay is paused on the standby to make it lag as far as the test wants.
 */
const BIN = '/usr/lib/postgresql/15/bin';

/** initdb and pg_ctl refuse to run as root: as the postgres user when the tests run as root. */
function pgTool(tool: string, args: string[]): string {
  const asRoot = process.getuid?.() === 0;
  const [cmd, argv] = asRoot
    ? ['runuser', ['-u', 'postgres', '--', join(BIN, tool), ...args]]
    : [join(BIN, tool), args];
  return execFileSync(cmd, argv, { encoding: 'utf8', stdio: 'pipe', timeout: 120_000 });
}

interface Replicated {
  dir: string;
  primaryUrl: string;
  replicaUrl: string;
  stop(): void;
}

async function startReplicatedPair(): Promise<Replicated> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-replica-'));
  if (process.getuid?.() === 0) execFileSync('chown', ['postgres', dir]);
  const [primaryPort, replicaPort] = [await freePort(), await freePort()];
  const primary = join(dir, 'primary');
  const replica = join(dir, 'replica');
  const started: string[] = [];
  const stop = () => {
    for (const d of started.reverse()) {
      try {
        pgTool('pg_ctl', ['-D', d, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // already stopped
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    pgTool('initdb', ['-D', primary, '-U', 'postgres', '-A', 'trust', '--no-sync']);
    appendFileSync(
      join(primary, 'postgresql.conf'),
      [
        `listen_addresses = '127.0.0.1'`,
        `unix_socket_directories = '${dir}'`,
        `wal_level = replica`,
        `max_wal_senders = 4`,
        `max_connections = 40`,
        `shared_buffers = 16MB`,
        `fsync = off`,
        '',
      ].join('\n'),
    );
    appendFileSync(join(primary, 'pg_hba.conf'), 'host replication postgres 127.0.0.1/32 trust\n');
    const start = (data: string, port: number) =>
      pgTool('pg_ctl', ['-D', data, '-l', `${data}.log`, '-o', `-p ${port}`, '-w', 'start']);
    start(primary, primaryPort);
    started.push(primary);
    const from = ['-h', '127.0.0.1', '-p', String(primaryPort), '-U', 'postgres'];
    pgTool('pg_basebackup', [...from, '-D', replica, '-R', '-X', 'stream', '-c', 'fast']);
    start(replica, replicaPort);
    started.push(replica);
  } catch (err) {
    stop();
    throw err;
  }
  return {
    dir,
    primaryUrl: `postgres://postgres@127.0.0.1:${primaryPort}/postgres`,
    replicaUrl: `postgres://postgres@127.0.0.1:${replicaPort}/postgres`,
    stop,
  };
}

const hasBinaries = existsSync(join(BIN, 'initdb')) && existsSync(join(BIN, 'pg_basebackup'));

(hasBinaries ? describeOnServer : describe.skip)(
  hasBinaries
    ? 'a read replica (DATABASE_READ_URL)'
    : `a read replica (skipped: needs PostgreSQL 15's initdb and pg_basebackup in ${BIN})`,
  () => {
    let pair: Replicated | undefined;
    const t = useTestServer({
      database: async () => {
        pair = await startReplicatedPair();
        const p = pair;
        return {
          url: p.primaryUrl,
          env: { DATABASE_READ_URL: p.replicaUrl },
          drop: async () => p.stop(),
        };
      },
      env: { DATABASE_POOL_MAX: '4' },
    });
    let w: World;
    let replica: Client;
    const router = () => t.server.app.get(ReadRouter);
    const isActive = async (token: string) => (await w.introspect(token)).body.active as boolean;

    beforeAll(async () => {
      w = await world(t);
      replica = new Client({ connectionString: pair!.replicaUrl }); // set by the database factory
      replica.on('error', () => undefined); // the cluster stops at the end, maybe before this client
      await replica.connect();
    }, 60_000);
    afterAll(async () => {
      await replica?.query('SELECT pg_wal_replay_resume()').catch(() => undefined);
      await replica?.end();
    });

    it('answers introspection from the replica once it has replayed the session', async () => {
      const s = await w.signIn();
      const before = router().replicaReads;
      // a session the replica has not replayed yet is asked of the primary: active either way
      await eventually(async () => {
        expect(await isActive(s.access_token)).toBe(true);
        expect(router().replicaReads).toBeGreaterThan(before);
      }, 15_000);
    });

    it('never reports a token revoked on the primary active while the replica has not replayed the revocation', async () => {
      const s = await w.signIn();
      const kept = await w.signIn();
      await eventually(async () => {
        const n = router().replicaReads;
        expect(await isActive(s.access_token)).toBe(true);
        expect(router().replicaReads).toBeGreaterThan(n); // the replica is answering
      }, 15_000);

      await replica.query('SELECT pg_wal_replay_pause()');
      await t.revokeSession(w.slug, s.sid, 'test');
      // the replica still has the session alive: an answer from it would be active:true
      const onReplica = await replica.query('SELECT revoked_at FROM sessions WHERE id = $1', [
        s.sid,
      ]);
      expect(onReplica.rows).toEqual([{ revoked_at: null }]);

      expect(await isActive(s.access_token)).toBe(false);
      // and the session the revocation left alone is still active (from the primary)
      expect(await isActive(kept.access_token)).toBe(true);
      // the admin listing right after the revocation does not show the ended session
      const list = await t.get(`/admin/api/tenants/${w.slug}/sessions`, await t.adminToken());
      expect(list.status).toBe(200);
      const ids = (list.body.items as Array<{ id: string }>).map((i) => i.id);
      expect(ids).not.toContain(s.sid);
      expect(ids).toContain(kept.sid);

      // the replica stays out for as long as it has not replayed the revocation
      expect(router().isReplicaUsable).toBe(false);
      expect(await isActive(s.access_token)).toBe(false);
    });

    it('serves discovery and JWKS while replay is paused, including a tenant the replica has not seen', async () => {
      await replica.query('SELECT pg_wal_replay_pause()');
      const fresh = await t.given.tenant();
      const onReplica = await replica.query('SELECT 1 FROM tenants WHERE slug = $1', [fresh.slug]);
      expect(onReplica.rowCount).toBe(0);
      for (const slug of [w.slug, fresh.slug]) {
        const meta = await send(`${t.url}/t/${slug}/.well-known/openid-configuration`);
        expect(meta.status).toBe(200);
        expect(meta.body.issuer).toBe(t.issuer(slug));
        const jwks = await send(`${t.url}/t/${slug}/jwks.json`);
        expect(jwks.status).toBe(200);
        expect((jwks.body.keys as unknown[]).length).toBeGreaterThan(0);
      }
    });

    it('goes back to the replica once replay resumes and catches up', async () => {
      await replica.query('SELECT pg_wal_replay_resume()');
      const s = await w.signIn();
      await eventually(async () => {
        const n = router().replicaReads;
        expect(await isActive(s.access_token)).toBe(true);
        expect(router().replicaReads).toBeGreaterThan(n);
      }, 15_000);
    });
  },
);
