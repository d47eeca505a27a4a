import { createReadStream, existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pathOf, type HttpRequest, type HttpResponse } from '../http';

/**
 * Where `npm run build:admin` puts the console: `dist/admin` at the repository root, found from
 * the compiled server (`dist/apps/server`) and from its sources (tests run those).
 */
export function consoleDir(): string | undefined {
  return [join(__dirname, '../../admin'), join(__dirname, '../../../../dist/admin')].find((d) =>
    existsSync(join(d, 'index.html')),
  );
}

// the console's own scripts and styles only; it talks to this origin alone
const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
};
// one path segment that does not start with a dot: a name in the directory, never outside it
const FILE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;
const ROOT_FILE = /^\/admin\/([^/]+\.(?:ico|svg|png|txt))$/;
const ASSET = /^\/admin\/assets\/([^/]+)$/;
const IMMUTABLE = 'public, max-age=31536000, immutable';

/** Sends a file if it exists (false if not), with a validator so a revalidation is a 304. */
async function sendFile(
  req: HttpRequest,
  res: HttpResponse,
  file: string,
  cacheControl: string,
): Promise<boolean> {
  const st = await stat(file).catch(() => undefined);
  if (!st?.isFile()) return false;
  const etag = `W/"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
  res
    .header('Cache-Control', cacheControl)
    .header('ETag', etag)
    .header('Last-Modified', st.mtime.toUTCString());
  if (req.headers['if-none-match'] === etag) {
    res.code(304).send();
    return true;
  }
  res
    .type(TYPES[extname(file)] ?? 'application/octet-stream')
    .header('Content-Length', st.size)
    .send(createReadStream(file));
  return true;
}

/**
 * Serves the built console at /admin: hashed assets cached for a year, every other path under
 * /admin answered with index.html so deep links load (the router takes over). /admin/api is left
 * to the admin API and keeps its JSON answers, 404s included.
 */
export function serveConsole(app: FastifyInstance, dir = consoleDir()): void {
  // an async handler that sends by itself returns the reply (Fastify then waits for it)
  const handler = async (req: HttpRequest, res: HttpResponse): Promise<HttpResponse> => {
    const path = pathOf(req);
    if (path === '/admin') return res.redirect('/admin/', 301);
    if (path === '/admin/api' || path.startsWith('/admin/api/')) {
      res.callNotFound();
      return res;
    }
    res.header('Content-Security-Policy', CONSOLE_CSP);
    if (!dir)
      return res
        .code(503)
        .type('text/plain; charset=utf-8')
        .send('The admin console is not built: run `npm run build` (or `npm run build:admin`).');
    const notFound = () => res.code(404).type('text/plain; charset=utf-8').send('Not found');
    const index = async () => {
      if (!(await sendFile(req, res, join(dir, 'index.html'), 'no-cache'))) notFound();
    };
    // a missing asset is a 404, not the app: a stale tab must not run HTML as a script
    const asset = ASSET.exec(path)?.[1];
    if (asset !== undefined) {
      const found =
        FILE_NAME.test(asset) && (await sendFile(req, res, join(dir, 'assets', asset), IMMUTABLE));
      if (!found) notFound();
      return res;
    }
    const rootFile = ROOT_FILE.exec(path)?.[1];
    if (
      rootFile === undefined ||
      !FILE_NAME.test(rootFile) ||
      !(await sendFile(req, res, join(dir, rootFile), IMMUTABLE))
    )
      await index();
    return res;
  };
  // GET (and the HEAD Fastify derives from it); '/admin' also answers '/admin/' (trailing slashes
  // are ignored by the router), hence the path test above
  app.get('/admin', handler);
  app.get('/admin/*', handler);
}
