import { accessToken, refresh } from '../auth/oidc';
import { parseEndpoint, type Endpoint, type Endpoints } from './endpoints';
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

type Body<E extends Endpoint> = Endpoints[E] extends { body: infer B } ? B : never;

export interface CallOptions<E extends Endpoint> {
  params?: Record<string, string>;
  query?: Record<string, string | number | undefined>;
  body?: Body<E>;
  signal?: AbortSignal;
}

function fill(template: string, params: Record<string, string> = {}): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = params[name];
    if (v === undefined) throw new Error(`Missing path parameter ${name}`);
    return encodeURIComponent(v);
  });
}

async function send<E extends Endpoint>(e: E, o: CallOptions<E>, token: string | undefined) {
  const { method, path } = parseEndpoint(e);
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(o.query ?? {}))
    if (v !== undefined && v !== '') q.set(k, String(v));
  const url = fill(path, o.params) + (q.size ? `?${q}` : '');
  return fetch(url, {
    method: method.toUpperCase(),
    signal: o.signal,
    headers: {
      accept: 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: o.body !== undefined ? JSON.stringify(o.body) : undefined,
  });
}

/** One call to the admin API; a 401 refreshes the tokens once (rotation) and retries. */
export async function api<E extends Endpoint>(
  endpoint: E,
  options: CallOptions<E> = {},
): Promise<Endpoints[E]['res']> {
  let res = await send(endpoint, options, await accessToken());
  if (res.status === 401) {
    const renewed = await refresh().catch(() => undefined);
    // refused: the tokens are gone, and the sign-in gate starts a new sign-in at the same tenant
    if (!renewed) throw new ApiError(401, undefined);
    res = await send(endpoint, options, renewed.accessToken);
  }
  if (res.status === 204) return undefined as Endpoints[E]['res'];
  const text = await res.text();
  const body: unknown = text ? JSON.parse(text) : undefined;
  if (!res.ok) throw new ApiError(res.status, body as ProblemBody | undefined);
  return body as Endpoints[E]['res'];
}
