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
  serverUrl?: string;
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
export async function prepareTemplate(serverUrl: string | undefined): Promise<void> {
  const file = join(tmpdir(), `tessera-test-${process.pid}-${randomBytes(4).toString('hex')}.json`);
  let state: State;
  if (serverUrl) {
    const template = `tessera_tpl_${randomBytes(6).toString('hex')}`;
    await admin(serverUrl, (c) => c.query(`CREATE DATABASE ${template}`));
    await migrate(withDatabase(serverUrl, template));
    state = { mode: 'server', serverUrl, template };
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
    await admin(state.serverUrl!, (c) =>
      c.query(`DROP DATABASE IF EXISTS ${state.template} WITH (FORCE)`),
    );
  }
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
    await admin(state.serverUrl!, (c) =>
      c.query(
        opts.empty
          ? `CREATE DATABASE ${name}`
          : `CREATE DATABASE ${name} TEMPLATE ${state.template}`,
      ),
    );
    return {
      url: withDatabase(state.serverUrl!, name),
      drop: () =>
        admin(state.serverUrl!, (c) =>
          c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
        ).then(() => undefined),
    };
  }
  const pg = await startEmbeddedPostgres({
    maxConnections: 40,
    loadDataDir: opts.empty ? undefined : new Blob([readFileSync(state.dump!)]),
  });
  return { url: pg.url, drop: () => pg.stop() };
}
