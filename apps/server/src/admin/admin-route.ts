import {
  applyDecorators,
  createParamDecorator,
  Injectable,
  SetMetadata,
  UseInterceptors,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { RequireScopes } from '@tessera/nest-guards';
import { concatMap, from, map, switchMap, type Observable } from 'rxjs';
import type { z } from 'zod';
import { ValidationFailed } from '../errors';
import { parseBody, pathOf, type HttpRequest, type HttpResponse } from '../http';
import { AdminAudit, type AdminAuditSpec } from './admin-audit.service';
import type { AdminScope } from './admin-scopes';

/**
 * How a list route pages. `keyset`: the handler answers the whole (small) list and the route pages
 * it by `key` in `order`, a cursor naming the last key seen. `body`: the handler pages itself and
 * answers `{ items, nextCursor }`. Either way the next page is in `Link: <…>; rel="next"`.
 */
export type AdminPaging<T = never> =
  { kind: 'keyset'; key: (item: T) => string; order: 'asc' | 'desc' } | { kind: 'body' };

/** One admin route: what the OpenAPI document says of it, and what the route checks. */
export interface AdminRouteSpec {
  /** Unique; the console's client calls the route by it. */
  operationId: string;
  summary: string;
  scope: AdminScope;
  /** The request body: `@AdminBody()` parses it, field problems answer 400 with pointers. */
  body?: z.ZodType;
  /** The query parameters: parsed before the handler runs, `@AdminQuery()` hands them over. */
  query?: z.ZodType;
  /** The success answer; none means no content. */
  response?: z.ZodType;
  /** A file answer instead: its media types (the `format` query parameter chooses). */
  produces?: string[];
  // the items are the handler's type; the route reads only their key
  paging?: AdminPaging<any>;
  /**
   * The administrative change the route makes, recorded after it succeeded with the caller, the
   * target and the fields changed. Every route that changes something declares one.
   */
  audit?: AdminAuditSpec;
}

export const ADMIN_ROUTE = 'tessera:admin-route';

interface AdminRequest extends HttpRequest {
  adminQuery?: unknown;
}

/** The spec of a handler, when it is an admin route. */
export function adminRouteOf(handler: object): AdminRouteSpec | undefined {
  return Reflect.getMetadata(ADMIN_ROUTE, handler) as AdminRouteSpec | undefined;
}

const CURSOR_PROBLEM = () =>
  new ValidationFailed([{ path: ['cursor'], detail: 'Not a cursor this API returned' }]);

function encodeCursor(key: string): string {
  return Buffer.from(JSON.stringify([key]), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 1 && typeof parsed[0] === 'string')
      return parsed[0];
  } catch {
    // not ours: answered below like any other foreign cursor
  }
  throw CURSOR_PROBLEM();
}

/** The request's own path and query with `cursor` set: a path-absolute `Link` target. */
function nextLink(req: HttpRequest, cursor: string): string {
  const q = new URLSearchParams(req.url.slice(pathOf(req).length + 1));
  q.set('cursor', cursor);
  return `<${pathOf(req)}?${q}>; rel="next"`;
}

/**
 * Parses the query before the handler (after the guards: a caller without access learns nothing
 * from a 400), and pages list answers.
 */
@Injectable()
export class AdminRouteInterceptor implements NestInterceptor {
  constructor(private readonly auditor: AdminAudit) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const spec = adminRouteOf(ctx.getHandler());
    const req = ctx.switchToHttp().getRequest<AdminRequest>();
    const query: unknown = spec?.query ? parseBody(spec.query, req.query) : undefined;
    req.adminQuery = query;
    const audit = spec?.audit;
    if (!audit) return this.handle(spec, ctx, next);
    // the target is read before the change and after it; the event is written once it succeeded
    return from(this.auditor.before(audit, req)).pipe(
      switchMap((pending) =>
        this.handle(spec, ctx, next).pipe(
          concatMap(async (result) => {
            await this.auditor.after(pending, req, result);
            return result;
          }),
        ),
      ),
    );
  }

  private handle(
    spec: AdminRouteSpec | undefined,
    ctx: ExecutionContext,
    next: CallHandler,
  ): Observable<unknown> {
    const req = ctx.switchToHttp().getRequest<AdminRequest>();
    const res = ctx.switchToHttp().getResponse<HttpResponse>();
    const query = req.adminQuery;
    const paging = spec?.paging;
    if (!paging) return next.handle();
    const { limit, cursor } = query as { limit: number; cursor?: string };
    if (paging.kind === 'body')
      return next.handle().pipe(
        map((page: { nextCursor: string | null }) => {
          if (page.nextCursor) void res.header('Link', nextLink(req, page.nextCursor));
          return page;
        }),
      );
    const after = cursor === undefined ? undefined : decodeCursor(cursor);
    const sign = paging.order === 'asc' ? 1 : -1;
    const compare = (a: string, b: string) => sign * (a < b ? -1 : a > b ? 1 : 0);
    return next.handle().pipe(
      map((items: unknown[]) => {
        const keyed = items
          .map((item) => ({ item, key: paging.key(item) }))
          .sort((a, b) => compare(a.key, b.key))
          .filter((x) => after === undefined || compare(x.key, after) > 0);
        const page = keyed.slice(0, limit);
        if (keyed.length > limit)
          void res.header('Link', nextLink(req, encodeCursor(page[page.length - 1].key)));
        return page.map((x) => x.item);
      }),
    );
  }
}

/**
 * Declares an admin route: the scope it needs (TesseraAuthGuard checks it), its schemas and its
 * summary. The OpenAPI document and the console's client are generated from these.
 */
export const AdminRoute = (spec: AdminRouteSpec) =>
  applyDecorators(
    RequireScopes(spec.scope),
    SetMetadata(ADMIN_ROUTE, spec),
    UseInterceptors(AdminRouteInterceptor),
  );

/** The request body, parsed with the route's `body` schema. */
export const AdminBody = createParamDecorator((_: unknown, ctx: ExecutionContext): unknown => {
  const schema = adminRouteOf(ctx.getHandler())?.body;
  if (!schema) throw new Error('@AdminBody() on a route without a body schema');
  return parseBody(schema, ctx.switchToHttp().getRequest<AdminRequest>().body);
});

/** The query, parsed with the route's `query` schema before the handler ran. */
export const AdminQuery = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): unknown =>
    ctx.switchToHttp().getRequest<AdminRequest>().adminQuery,
);
