// Static imports: pglite ships a CJS build; a dynamic import from CJS would load the ESM build.
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface EmbeddedPostgres {
  url: string;
  db: PGlite;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Persist here; in memory when unset. */
  dataDir?: string;
  /** From a dump (PGlite dumpDataDir), for fast fresh copies in tests. */
  loadDataDir?: Blob;
  /** pglite-socket resets connections above this instead of queueing them: keep it ≥ pool max + 2. */
  maxConnections: number;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** PGlite has no lock of its own on a data dir; two processes on one dir would corrupt it. */
function takeLock(dir: string): () => void {
  const lockPath = join(dir, 'tessera.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lockPath, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(readFileSync(lockPath, 'utf8'));
      if (holder && holder !== process.pid && isAlive(holder)) {
        throw new Error(
          `The embedded database in ${dir} is in use by process ${holder}; stop it first or set DATABASE_URL`,
          { cause: err },
        );
      }
      rmSync(lockPath, { force: true }); // stale: its process is gone
    }
  }
  throw new Error(`Could not lock the embedded database in ${dir}`);
}

export async function startEmbeddedPostgres(o: EmbeddedOptions): Promise<EmbeddedPostgres> {
  let release = () => {};
  if (o.dataDir) {
    mkdirSync(o.dataDir, { recursive: true, mode: 0o700 });
    release = takeLock(o.dataDir);
  }
  try {
    const db = await PGlite.create(
      o.dataDir
        ? { dataDir: join(o.dataDir, 'pg') }
        : o.loadDataDir
          ? { loadDataDir: o.loadDataDir }
          : {},
    );
    const server = new PGLiteSocketServer({
      db,
      host: '127.0.0.1',
      port: 0,
      maxConnections: o.maxConnections,
    });
    await server.start();
    const port = Number(server.getServerConn().split(':').pop());
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      db,
      stop: async () => {
        await server.stop();
        await db.close();
        release();
      },
    };
  } catch (err) {
    release();
    throw err;
  }
}
