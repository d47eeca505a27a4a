import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import {
  createDataSource,
  migrateUnderLock,
  startEmbeddedPostgres,
} from '../apps/server/src/database';

/**
 * One test database per test file, never shared: on a PostgreSQL server a copy of a migrated
 * template (CREATE DATABASE … TEMPLATE, milliseconds); on the embedded database a fresh PGlite
 * loaded from a dump of a migrated one.
 */
interface State {
  mode: 'server' | 'embedded';
  /** What the servers under test are given as DATABASE_URL: the server, or a pooler in front of it. */
  serverUrl?: string;
  /**
   * Set when serverUrl is a transaction-mode pooler (DATABASE_DIRECT_URL for the run): the server
   * itself, for what needs a session — creating, copying and dropping databases, and migrating the
   * template (a pooler keeps server connections to it, which would block the copies).
   */
  directUrl?: string;
  template?: string;
  dump?: string;
}

const STATE_VAR = 'TESSERA_TEST_STATE';

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function admin<T>(serverUrl: string, run: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: serverUrl });
  await c.connect();
  try {
    return await run(c);
  } finally {
    await c.end();
  }
}

async function migrate(url: string): Promise<void> {
  const ds = await createDataSource(url, 2).initialize();
  try {
    await migrateUnderLock(ds);
  } finally {
    await ds.destroy();
  }
}

/** Jest global setup: prepare the template once per run. */
export async function prepareTemplate(
  serverUrl: string | undefined,
  directUrl?: string,
): Promise<void> {
  const file = join(tmpdir(), `tessera-test-${process.pid}-${randomBytes(4).toString('hex')}.json`);
  let state: State;
  if (serverUrl) {
    const template = `tessera_tpl_${randomBytes(6).toString('hex')}`;
    const direct = directUrl ?? serverUrl;
    await admin(direct, (c) => c.query(`CREATE DATABASE ${template}`));
    await migrate(withDatabase(direct, template));
    state = { mode: 'server', serverUrl, directUrl, template };
  } else {
    const pg = await startEmbeddedPostgres({ maxConnections: 8 });
    await migrate(pg.url);
    const dump = join(
      tmpdir(),
      `tessera-test-${process.pid}-${randomBytes(4).toString('hex')}.tar.gz`,
    );
    writeFileSync(dump, Buffer.from(await (await pg.db.dumpDataDir('gzip')).arrayBuffer()));
    await pg.stop();
    state = { mode: 'embedded', dump };
  }
  writeFileSync(file, JSON.stringify(state));
  process.env[STATE_VAR] = file;
}

export async function dropTemplate(): Promise<void> {
  const state = readState();
  if (state.mode === 'server') {
    await admin(directOf(state), (c) =>
      c.query(`DROP DATABASE IF EXISTS ${state.template} WITH (FORCE)`),
    );
  }
}

/** Where databases are created and dropped: the server itself (server mode only). */
function directOf(state: State): string {
  return state.directUrl ?? state.serverUrl!; // server mode always has serverUrl
}

/**
 * The environment that points a server process at this test database: DATABASE_URL, plus
 * DATABASE_DIRECT_URL when the run goes through a pooler and `url` is the pooler's (a URL through
 * a test's own proxy is left alone: the proxy stands for the whole database).
 */
export function databaseEnv(url: string): Record<string, string> {
  const state = readState();
  if (state.mode !== 'server' || !state.directUrl) return { DATABASE_URL: url };
  const u = new URL(url);
  const pooler = new URL(state.serverUrl!); // server mode always has serverUrl
  if (u.host !== pooler.host) return { DATABASE_URL: url };
  return {
    DATABASE_URL: url,
    DATABASE_DIRECT_URL: withDatabase(state.directUrl, u.pathname.slice(1)),
  };
}

function readState(): State {
  const file = process.env[STATE_VAR];
  if (!file) throw new Error('The jest global setup did not run');
  return JSON.parse(readFileSync(file, 'utf8')) as State;
}

export function isServerMode(): boolean {
  return readState().mode === 'server';
}

/** The PostgreSQL server the run uses (server mode only): for tests that need an empty database. */
export function serverUrl(): string | undefined {
  return readState().serverUrl;
}

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(opts: { empty?: boolean } = {}): Promise<TestDatabase> {
  const state = readState();
  if (state.mode === 'server') {
    const name = `tessera_t_${randomBytes(6).toString('hex')}`;
    await admin(directOf(state), (c) =>
      c.query(
        opts.empty
          ? `CREATE DATABASE ${name}`
          : `CREATE DATABASE ${name} TEMPLATE ${state.template}`,
      ),
    );
    return {
      url: withDatabase(state.serverUrl!, name),
      drop: () =>
        admin(directOf(state), (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(
          () => undefined,
        ),
    };
  }
  const pg = await startEmbeddedPostgres({
    maxConnections: 40,
    loadDataDir: opts.empty ? undefined : new Blob([readFileSync(state.dump!)]),
  });
  return { url: pg.url, drop: () => pg.stop() };
}
