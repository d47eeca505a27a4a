import './config/thread-pool-size'; // before anything can start libuv's thread pool
import './config/heap-growth-limit'; // before the modules' code fills the heap
import { loadConfig, type AppConfig } from './config';
import { announceFirstStart } from './first-start';
import { startServer } from './server';

const HARD_STOP_MS = 9500;

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  }
  let server;
  try {
    server = await startServer(config, {
      onFirstStart: (first, logger) => announceFirstStart(config, first, logger),
    });
  } catch (err) {
    process.stderr.write(`Tessera could not start: ${(err as Error).message}\n`);
    process.exit(1);
  }
  server.logger.info(
    {
      url: config.publicUrl,
      admin: `${config.publicUrl}/admin`,
      discovery: `${config.publicUrl}/t/system/.well-known/openid-configuration`,
    },
    `Tessera listening on ${config.publicUrl}`,
  );
  // on SIGTERM stop accepting, finish in-flight requests, close the pool, exit 0
  // within 10 s. server.stop() forces the last connections closed at 8 s; this is the backstop.
  let isStopping = false;
  const shutdown = (signal: string) => {
    // a second signal (Ctrl-C reaches a whole process group; supervisors repeat) must not cut the drain short
    if (isStopping) return;
    isStopping = true;
    const started = Date.now();
    server.logger.info({ signal }, 'shutting down');
    const hard = setTimeout(() => {
      server.logger.error({ signal }, 'shutdown did not finish in time; exiting');
      process.exit(1);
    }, HARD_STOP_MS);
    hard.unref();
    server.stop().then(
      () => {
        server.logger.info({ signal, ms: Date.now() - started }, 'stopped');
        process.exit(0);
      },
      (err: unknown) => {
        server.logger.error({ signal, err: (err as Error).message }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

void main();
