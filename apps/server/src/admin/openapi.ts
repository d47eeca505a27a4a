import { RequestMethod, type Type } from '@nestjs/common';
import { HTTP_CODE_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { z } from 'zod';
import { adminRouteOf, type AdminRouteSpec } from './admin-route';

/** An admin route as the router serves it: method, OpenAPI path template, status and spec. */
export interface AdminRouteEntry {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** `/admin/api/tenants/{tenant}`: Nest's `:tenant` written the OpenAPI way. */
  path: string;
  status: number;
  spec: AdminRouteSpec;
}

const METHODS: Partial<Record<RequestMethod, AdminRouteEntry['method']>> = {
  [RequestMethod.GET]: 'get',
  [RequestMethod.POST]: 'post',
  [RequestMethod.PUT]: 'put',
  [RequestMethod.PATCH]: 'patch',
  [RequestMethod.DELETE]: 'delete',
};

const joinPath = (...parts: string[]) =>
  '/' +
  parts
    .flatMap((p) => p.split('/'))
    .filter(Boolean)
    .map((s) => (s.startsWith(':') ? `{${s.slice(1)}}` : s))
    .join('/');

/**
 * Every admin route of these controllers, read from the metadata Nest routes by: the path and
 * method of `@Get()`/`@Post()`…, the status of `@HttpCode()` (else Nest's default: 201 for POST),
 * the spec of `@AdminRoute()`. A handler with a route but no spec fails here, not in review.
 */
export function adminRoutes(controllers: Type[]): AdminRouteEntry[] {
  const out: AdminRouteEntry[] = [];
  for (const controller of controllers) {
    const base = Reflect.getMetadata(PATH_METADATA, controller) as string;
    const proto = controller.prototype as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(proto)) {
      const handler = proto[name];
      if (name === 'constructor' || typeof handler !== 'function') continue;
      const methodPath = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
      if (methodPath === undefined) continue; // a helper, not a route
      const method = METHODS[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
      const spec = adminRouteOf(handler);
      if (!method || !spec)
        throw new Error(`${controller.name}.${name} is an admin route without @AdminRoute()`);
      const status =
        (Reflect.getMetadata(HTTP_CODE_METADATA, handler) as number | undefined) ??
        (method === 'post' ? 201 : 200);
      out.push({ method, path: joinPath(base, methodPath), status, spec });
    }
  }
  return out;
}

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output') => {
  // the document's own dialect is JSON Schema 2020-12 (OpenAPI 3.1): no $schema per schema
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' });
  return rest;
};

const problemRef = { $ref: '#/components/schemas/Problem' };
const problemAnswer = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: problemRef } },
});

function operation(r: AdminRouteEntry): Record<string, unknown> {
  const { spec } = r;
  const parameters: Array<Record<string, unknown>> = [...r.path.matchAll(/\{(\w+)\}/g)].map(
    (m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }),
  );
  if (spec.query) {
    const q = jsonSchema(spec.query, 'input') as {
      properties?: Record<string, unknown>;
      required?: string[];
    };
    for (const [name, schema] of Object.entries(q.properties ?? {}))
      parameters.push({
        name,
        in: 'query',
        required: q.required?.includes(name) ?? false,
        schema,
      });
  }
  const success = {
    description: spec.response ? 'OK' : 'Done',
    ...(spec.paging
      ? {
          headers: {
            Link: {
              description: 'The next page, when there is one: `<…?cursor=…>; rel="next"`',
              schema: { type: 'string' },
            },
          },
        }
      : {}),
    ...(spec.response
      ? { content: { 'application/json': { schema: jsonSchema(spec.response, 'output') } } }
      : {}),
    ...(spec.produces
      ? {
          content: Object.fromEntries(
            spec.produces.map((type) => [type, { schema: { type: 'string' } }]),
          ),
        }
      : {}),
  };
  return {
    operationId: spec.operationId,
    summary: spec.summary,
    security: [{ bearer: [spec.scope] }],
    parameters,
    ...(spec.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: jsonSchema(spec.body, 'input') } },
          },
        }
      : {}),
    responses: {
      [String(r.status)]: success,
      '400': problemAnswer('Invalid body or query; each field problem names its JSON pointer'),
      '401': problemAnswer('No or invalid admin token'),
      '403': problemAnswer('Missing scope'),
      '404': problemAnswer('Not found, or a tenant the caller does not administer'),
    },
  };
}

const problemSchema = {
  type: 'object',
  required: ['type', 'status', 'code', 'detail'],
  properties: {
    type: { type: 'string' },
    status: { type: 'integer' },
    code: { type: 'string' },
    detail: { type: 'string' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['pointer', 'detail'],
        properties: { pointer: { type: 'string' }, detail: { type: 'string' } },
      },
    },
  },
};

/**
 * The OpenAPI 3.1 document of the admin API, generated from its controllers; committed as
 * apps/server/openapi/admin-api.json (`npm run generate:api`), where the console's client is
 * generated from. Served with the server's own URL added.
 */
export function openApiDocument(controllers: Type[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const ids = new Set<string>();
  const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const routes = adminRoutes(controllers).sort(
    (a, b) => byText(a.path, b.path) || byText(a.method, b.method),
  );
  for (const r of routes) {
    if (ids.has(r.spec.operationId)) throw new Error(`operationId ${r.spec.operationId} twice`);
    ids.add(r.spec.operationId);
    paths[r.path] ??= {};
    paths[r.path][r.method] = operation(r);
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Tessera admin API', version: '0.1.0' },
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'An access token of the system tenant for urn:tessera:admin-api',
        },
      },
      schemas: { Problem: problemSchema },
    },
    paths,
  };
}

/**
 * The console's table of operations, written from the document next to the types openapi-typescript
 * writes: the console calls a route by its operationId, this says which method and path that is.
 */
export function clientOperationsText(document: Record<string, unknown>): string {
  const lines = Object.entries(document.paths as Record<string, Record<string, unknown>>)
    .flatMap(([path, ops]) =>
      Object.entries(ops).map(
        ([method, op]) => [(op as { operationId: string }).operationId, method, path] as const,
      ),
    )
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([id, method, path]) => `  ${id}: { method: '${method}', path: '${path}' },`);
  return [
    '// Generated by `npm run generate:api` from apps/server/openapi/admin-api.json: do not edit.',
    'export const OPERATIONS = {',
    ...lines,
    '} as const;',
    '',
  ].join('\n');
}
