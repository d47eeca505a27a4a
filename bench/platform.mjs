// node bench/platform.mjs [--duration S] [--connections N]: what the HTTP stack alone costs. One
// trivial JSON route ({"status":"ok"}) on bare node:http, Express 5, Koa (the peer's stack) and
// a bare Nest 12 app (one controller) on each of its two platform adapters, Express and Fastify, and
// Tessera's own GET /healthz (with its middleware), each a process of its own, measured in turns:
// requests/s and server CPU per request.
import { createServer } from 'node:http';
import { benchDatabase, freePort, load, startProcess } from './lib.mjs';
import { startServer } from './setup.mjs';

const kind = process.env.PLATFORM_KIND;
if (kind) {
  const port = Number(process.env.PORT);
  const body = JSON.stringify({ status: 'ok' });
  if (kind === 'http') {
    createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(body);
    }).listen(port, '127.0.0.1');
  } else if (kind === 'express') {
    const { default: express } = await import('express');
    const app = express();
    app.get('/healthz', (_req, res) => res.set('cache-control', 'no-store').json({ status: 'ok' }));
    app.listen(port, '127.0.0.1');
  } else if (kind === 'koa') {
    const { default: Koa } = await import('koa');
    const app = new Koa();
    app.use((ctx) => {
      ctx.set('cache-control', 'no-store');
      ctx.body = { status: 'ok' };
    });
    app.listen(port, '127.0.0.1');
  } else if (kind === 'nest-express' || kind === 'nest-fastify') {
    // decorators applied by hand: this file is plain JavaScript
    const { Controller, Get, Header, Module } = await import('@nestjs/common');
    const { NestFactory } = await import('@nestjs/core');
    class Health {
      get() {
        return { status: 'ok' };
      }
    }
    const get = Object.getOwnPropertyDescriptor(Health.prototype, 'get');
    Header('cache-control', 'no-store')(Health.prototype, 'get', get);
    Get()(Health.prototype, 'get', get);
    Controller('healthz')(Health);
    class App {}
    Module({ controllers: [Health] })(App);
    let adapter;
    if (kind === 'nest-fastify') {
      const { FastifyAdapter } = await import('@nestjs/platform-fastify');
      adapter = new FastifyAdapter();
    }
    const app = await NestFactory.create(App, adapter, { logger: false });
    await app.listen(port, '127.0.0.1');
  }
} else {
  const argv = process.argv.slice(2);
  const opt = (name, d) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : d);
  const duration = opt('--duration', 10);
  const connections = opt('--connections', 50);
  if (!process.env.DATABASE_URL) throw new Error('DATABASE_URL must name a PostgreSQL server');
  const db = await benchDatabase(process.env.DATABASE_URL, '_platform');
  const targets = [];
  try {
    const tessera = await startServer(db.url);
    targets.push({ name: 'tessera (nest+fastify)', url: `${tessera.url}/healthz`, proc: tessera });
    for (const kind of ['http', 'express', 'koa', 'nest-express', 'nest-fastify']) {
      const port = await freePort();
      const proc = await startProcess(
        import.meta.filename,
        { PORT: String(port), PLATFORM_KIND: kind },
        `http://127.0.0.1:${port}/healthz`,
        kind,
      );
      targets.push({ name: kind, url: `http://127.0.0.1:${port}/healthz`, proc });
    }
    const acc = new Map(targets.map((t) => [t, { n: 0, s: 0, cpu: 0 }]));
    for (let i = 0; i < 2; i++)
      for (const t of targets) {
        const r = await load({
          url: t.url,
          connections,
          duration: duration / 2,
          pid: t.proc.child.pid,
        });
        const a = acc.get(t);
        a.n += r.total;
        a.s += duration / 2;
        a.cpu += r.cpuMsPerRequest * r.total;
      }
    for (const [t, a] of acc)
      console.log(
        `${t.name.padEnd(24)} c=${connections}  ${String(Math.round(a.n / a.s)).padStart(6)} req/s  cpu/req ${(a.cpu / a.n).toFixed(3)} ms`,
      );
  } finally {
    for (const t of targets) await t.proc.stop();
    await db.drop();
  }
}
