import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The request and the response every controller, guard and filter sees. The server runs Nest on its
 * Fastify adapter (server.ts); nothing outside src/http and server.ts names the platform.
 */
export type HttpRequest = FastifyRequest<{ Params: Record<string, string | undefined> }>;
export type HttpResponse = FastifyReply;

/** The path of a request, without its query string (which may carry codes or tokens). */
export function pathOf(req: { url: string }): string {
  const q = req.url.indexOf('?');
  return q === -1 ? req.url : req.url.slice(0, q);
}

/** The raw query string of a request, without the `?`. */
export function queryOf(req: { url: string }): string {
  const q = req.url.indexOf('?');
  return q === -1 ? '' : req.url.slice(q + 1);
}

/** An HTML page of ours: never cached, no script, never framed. */
export function sendPage(res: HttpResponse, status: number, html: string): void {
  res
    .code(status)
    .header('Cache-Control', 'no-store')
    .header(
      'Content-Security-Policy',
      "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    )
    .type('text/html; charset=utf-8')
    .send(html);
}
