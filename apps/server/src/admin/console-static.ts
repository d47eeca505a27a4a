import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';

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

/**
 * Serves the built console at /admin: hashed assets cached for a year, every other path under
 * /admin answered with index.html so deep links load (the router takes over). /admin/api is left
 * to the admin API and keeps its JSON answers, 404s included.
 */
export function consoleMiddleware(dir = consoleDir()) {
  const assets = dir
    ? express.static(dir, { index: false, immutable: true, maxAge: '365d', fallthrough: true })
    : undefined;
  return (req: Request, res: Response, next: NextFunction): void => {
    const path = req.path;
    if (path !== '/admin' && !path.startsWith('/admin/')) return next();
    if (path === '/admin/api' || path.startsWith('/admin/api/')) return next();
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (path === '/admin') return res.redirect(301, '/admin/');
    res.setHeader('Content-Security-Policy', CONSOLE_CSP);
    if (!dir) {
      res
        .status(503)
        .type('text')
        .send('The admin console is not built: run `npm run build` (or `npm run build:admin`).');
      return;
    }
    const index = () => {
      res.setHeader('Cache-Control', 'no-cache');
      res.sendFile(join(dir, 'index.html'));
    };
    // a missing asset is a 404, not the app: a stale tab must not run HTML as a script
    if (path.startsWith('/admin/assets/')) {
      req.url = req.url.slice('/admin'.length);
      assets!(req, res, () => {
        res.status(404).type('text').send('Not found');
      }); // assets exists when dir does
      return;
    }
    if (/^\/admin\/[^/]+\.(ico|svg|png|txt)$/.test(path)) {
      req.url = req.url.slice('/admin'.length);
      assets!(req, res, index);
      return;
    }
    index();
  };
}
