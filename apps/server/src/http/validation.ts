import type { z } from 'zod';
import { Problem } from './problem';

const pointer = (path: PropertyKey[]) =>
  '/' + path.map((p) => String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

/** Parses an admin request body with its contract schema; failures name each field by JSON pointer. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  throw Problem.validation(
    result.error.issues.map((i) => ({
      pointer: pointer(i.path),
      detail: i.code === 'unrecognized_keys' ? `Unknown field(s): ${i.keys.join(', ')}` : i.message,
    })),
  );
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids in paths are checked before they reach a query. */
export function isUuid(value: string): boolean {
  return UUID_RE.test(value);
}
