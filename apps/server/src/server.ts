import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { HttpException, type INestApplication } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { serveConsole, SystemSetup, type FirstStart } from './admin';
import { AppModule } from './app.module';
import { BootstrapService, readBootstrapFile, type BootstrapSummary } from './bootstrap';
import type { AppConfig } from './config';
import { missingSessionTimeouts, NotifyBus, resolveDatabase } from './database';
import { Readiness } from './health';
import {
  AllExceptionsFilter,
  createLogger,
  PinoNestLogger,
  requestContext,
  requestDeadline,
  useBodyParsers,
} from './http';
import { httpMetrics, Metrics } from './metrics';
import { SecretsService } from './secrets';
import { DataSource } from 'typeorm';

export interface RunningServer {
  app: INestApplication;
  url: string;
  logger: Logger;
  embedded: boolean;
  firstStart?: FirstStart;
  bootstrap?: BootstrapSummary;
  /** Stop accepting, finish in-flight requests (bounded), close the pool and the embedded database. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Where JSON logs go (tests capture them to scan for secrets). */
  logDestination?: NodeJS.WritableStream;
  /**
   * Called once the first-start credentials are committed, before anything else can fail, so they
   * are never lost to a later start-up error. A throw stops the start.
   */
  onFirstStart?: (first: FirstStart, logger: Logger) => void;
}

const SHUTDOWN_GRACE_MS = 8000;

export async function startServer(config: AppConfig, o: StartOptions = {}): Promise<RunningServer> {
  const logger = createLogger(config.logLevel, o.logDestination);
  const db = await resolveDatabase(config);
  if (db.embedded) {
    logger.info(
      { dataDir: config.dataDir },
      `Using the embedded PostgreSQL (PGlite) in ${config.dataDir}; set DATABASE_URL to use a PostgreSQL server`,
    );
  }
  // LISTEN needs a session of its own: the server itself, never through a pooler
  const bus = new NotifyBus(db.sessionUrl);
  const filter = new AllExceptionsFilter(logger);
  let app: NestFastifyApplication | undefined;
  let isDraining = false;
  // answers not yet started, so a shutdown can still mark them Connection: close
  const inFlight = new Set<ServerResponse>();
  try {
    app = await NestFactory.create<NestFastifyApplication>(
      AppModule.register(config, db, bus),
      new FastifyAdapter({
        trustProxy: 'loopback', // the client address behind a local proxy (scripts/cluster.mjs)
        // the shutdown below decides what a request arriving while it drains gets
        return503OnClosing: false,
        routerOptions: { ignoreTrailingSlash: true, maxParamLength: 16384 },
        // what the router refuses before any hook runs (a malformed percent-encoding in the path):
        // the same headers and error shapes as every other answer
        frameworkErrors: (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
          everyAnswer(req, reply.raw);
          filter.respond(
            new HttpException('Bad request target', err.statusCode ?? 400),
            req,
            reply,
          );
        },
      }),
      {
        logger: new PinoNestLogger(logger),
        bodyParser: false, // useBodyParsers below
        abortOnError: false, // throw (and let the caller report), never process.exit from inside
      },
    );
    const fastify = app.getHttpAdapter().getInstance();
    requestContext(fastify, logger);
    fastify.addHook('onRequest', (req, reply, done) => {
      const res = reply.raw;
      // shutting down: answer, then let the client reconnect elsewhere
      if (isDraining) res.setHeader('Connection', 'close');
      else {
        inFlight.add(res);
        res.once('close', () => inFlight.delete(res));
      }
      everyAnswer(req, res);
      done();
    });
    const metrics = app.get(Metrics);
    httpMetrics(fastify, metrics);
    requestDeadline(
      fastify,
      config.requestDeadlineMs,
      (err, req, reply) => filter.respond(err, req, reply),
      () => metrics.deadlineAnswered.inc(),
    );
    useBodyParsers(fastify);
    // the console at /admin, from the same process (deep links get index.html)
    serveConsole(fastify);
    app.useGlobalFilters(filter);
    await app.init();

    await app.get(SecretsService).load(db.embedded);
    if (db.isPooled) {
      const missing = await missingSessionTimeouts(app.get(DataSource));
      if (missing.length)
        logger.warn(
          { missing },
          `DATABASE_URL is a pooler and its server sessions have no ${missing.join(', ')}: a statement waiting on a lock could wait forever. Set them on the role (ALTER ROLE … SET lock_timeout = '5s', statement_timeout = '15s') or in the pooler's connect_query`,
        );
    }
    await bus.start();
    const firstStart = await app.get(SystemSetup).ensure();
    if (firstStart) o.onFirstStart?.(firstStart, logger);
    let bootstrap: BootstrapSummary | undefined;
    if (config.bootstrapFile) {
      bootstrap = await app.get(BootstrapService).apply(readBootstrapFile(config.bootstrapFile));
      logger.info(
        { created: bootstrap.created.length, updated: bootstrap.updated.length },
        'bootstrap file applied',
      );
    }
    if (config.allowPrivateUris)
      logger.warn(
        'TESSERA_ALLOW_PRIVATE_URIS is on: loopback and private back-channel logout URIs are accepted; never in production',
      );

    await listen(app, config.port);
    const server = app.getHttpServer();
    // Longer than the idle timeout of the proxies and load balancers in front (60 s is common): the
    // side that closes an idle connection first races the other's next request on it (LD-01 saw
    // connection resets with 5 s). Shutdown closes idle connections itself.
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    const port = (server.address() as AddressInfo).port;
    const readiness = app.get(Readiness);
    readiness.isStarted = true;
    const running = app;
    let stopping: Promise<void> | undefined;
    return {
      app,
      url: `http://127.0.0.1:${port}`,
      logger,
      embedded: db.embedded,
      firstStart,
      bootstrap,
      stop: () =>
        (stopping ??= (async () => {
          // stop accepting: /readyz fails so a balancer looks elsewhere, the listener closes, and
          // every connection closes after its in-flight answer (idle ones at once)
          readiness.isStarted = false;
          isDraining = true;
          for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
          const drained = new Promise<void>((resolve) => server.close(() => resolve()));
          const idle = setInterval(() => server.closeIdleConnections(), 100);
          const force = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
          try {
            // destroy hooks end the SSE streams and stop the workers; Nest then waits for the HTTP
            // server to drain before the shutdown hooks close the pool, so in-flight requests finish
            await running.close();
            await drained;
          } finally {
            clearInterval(idle);
            clearTimeout(force);
          }
          await bus.stop();
          await db.stop();
        })()),
    };
  } catch (err) {
    await app?.close().catch(() => undefined);
    await bus.stop().catch(() => undefined);
    await db.stop().catch(() => undefined);
    throw err;
  }
}

/** Headers every answer carries, set on the Node response so the SSE feed and router errors get them. */
function everyAnswer(req: FastifyRequest, res: ServerResponse): void {
  res.setHeader('X-Request-Id', req.id);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Content-Security-Policy', "frame-ancestors 'none'");
  res.setHeader('Referrer-Policy', 'no-referrer');
  // admin answers can carry secrets shown once: never cached anywhere
  if (req.url.startsWith('/admin/api')) {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Pragma', 'no-cache');
  }
}

/** Every address, as Node's own listen(port) does: IPv6 and IPv4 where IPv6 exists, else IPv4. */
async function listen(app: NestFastifyApplication, port: number): Promise<void> {
  try {
    await app.listen(port, '::');
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== 'EAFNOSUPPORT' && code !== 'EADDRNOTAVAIL') throw err;
    await app.listen(port, '0.0.0.0');
  }
}
