import createClient from 'openapi-fetch';
import { accessToken, refresh } from '../auth/oidc';
import { OPERATIONS } from './operations';
import type { operations, paths } from './schema';
import type { ProblemBody } from './types';

/** An admin API refusal, with the problem body (and its field pointers) when there is one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem?: ProblemBody,
  ) {
    super(problem?.detail ?? `The server answered ${status}`);
  }

  /** Field problems keyed by JSON pointer, e.g. `/policy/accessTokenTtl`. */
  fieldErrors(): Array<{ pointer: string; detail: string }> {
    return this.problem?.errors ?? [];
  }
}

function withToken(req: Request, token: string | undefined): Request {
  const headers = new Headers(req.headers);
  if (token) headers.set('authorization', `Bearer ${token}`);
  return new Request(req, { headers });
}

/** Sends with the access token; a 401 refreshes the tokens once (rotation) and retries. */
async function authorizedFetch(req: Request): Promise<Response> {
  const again = req.clone();
  const res = await fetch(withToken(req, await accessToken()));
  if (res.status !== 401) return res;
  const renewed = await refresh().catch(() => undefined);
  // refused: the tokens are gone, and the sign-in gate starts a new sign-in at the same tenant
  if (!renewed) throw new ApiError(401, undefined);
  return fetch(withToken(again, renewed.accessToken));
}

/** The admin API, typed from its OpenAPI document (schema.d.ts, generated). */
export const client = createClient<paths>({
  fetch: authorizedFetch,
  headers: { accept: 'application/json' },
});

export type OperationId = keyof operations;
type Operation<K extends OperationId> = operations[K];

/** The path and query parameters of an operation, as `{ path, query }`. */
export type Params<K extends OperationId> = (Operation<K>['parameters'] extends {
  path: infer P;
}
  ? P extends Record<string, never> | undefined
    ? { path?: never }
    : { path: P }
  : { path?: never }) &
  (Operation<K>['parameters'] extends { query?: infer Q }
    ? [Q] extends [undefined]
      ? { query?: never }
      : { query?: Q }
    : { query?: never });

type JsonBody<R> = [R] extends [never]
  ? never
  : R extends { content: { 'application/json': infer B } }
    ? B
    : never;
/** The request body of an operation; never when it takes none. */
export type Body<K extends OperationId> = JsonBody<NonNullable<Operation<K>['requestBody']>>;

type Json<R> = R extends { content: { 'application/json': infer T } } ? T : undefined;
/** What an operation answers on success. */
export type Result<K extends OperationId> = Operation<K>['responses'] extends infer R
  ? R extends { 200: infer A }
    ? Json<A>
    : R extends { 201: infer A }
      ? Json<A>
      : undefined
  : never;

/** The arguments of a call: its parameters, and its body when it takes one. */
export type Args<K extends OperationId> = Params<K> &
  ([Body<K>] extends [never] ? { body?: never } : { body: Body<K> });

/** One call to the admin API by operationId; refusals throw ApiError with the problem body. */
export async function call<K extends OperationId>(
  operation: K,
  args: Args<K>,
  signal?: AbortSignal,
): Promise<Result<K>> {
  const { method, path } = OPERATIONS[operation];
  // the operation table and the types come from one document: the path and method are this operation's
  const { data, error, response } = await client.request(
    method as 'get',
    path as '/admin/api/tenants',
    {
      params: { path: args.path, query: args.query } as never,
      body: args.body as never,
      signal,
    },
  );
  if (!response.ok) throw new ApiError(response.status, error as ProblemBody | undefined);
  return data as Result<K>;
}

/** A file an operation answers (an export): its content, and the name the server gives it. */
export async function callFile<K extends OperationId>(
  operation: K,
  args: Args<K>,
): Promise<{ blob: Blob; filename: string }> {
  const { method, path } = OPERATIONS[operation];
  const { data, error, response } = await client.request(
    method as 'get',
    path as '/admin/api/tenants',
    { params: { path: args.path, query: args.query } as never, parseAs: 'blob' },
  );
  if (!response.ok) throw new ApiError(response.status, error as ProblemBody | undefined);
  const named = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '');
  return { blob: data as unknown as Blob, filename: named?.[1] ?? operation };
}
