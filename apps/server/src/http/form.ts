import { InvalidRequest } from '../errors';
import type { HttpRequest, HttpResponse } from './platform';

const HASHED_ONLY = new Set([
  'refresh_token',
  'code',
  'client_secret',
  'token',
  'code_verifier',
  'password',
]);

/** The parameters of an OAuth request. */
export class Form {
  constructor(private readonly values: Map<string, string[]>) {}
  /** A single-valued parameter; empty values count as absent (RFC 6749 §3.1). */
  get(key: string): string | undefined {
    const v = this.values.get(key)?.[0];
    return v === '' ? undefined : v;
  }
  /** Every value of a parameter that may repeat (RFC 8707 `resource`). */
  all(key: string): string[] {
    return (this.values.get(key) ?? []).filter((v) => v !== '');
  }
  has(key: string): boolean {
    return this.get(key) !== undefined;
  }
}

/**
 * The form body of an OAuth endpoint (application/x-www-form-urlencoded, read as text by the
 * body parsers of body-parsers.ts). RFC 6749 §3.1/§3.2: a parameter sent twice is invalid_request.
 */
export function parseForm(req: HttpRequest, allowRepeated: readonly string[] = []): Form {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/x-www-form-urlencoded\b/i.test(type) || typeof req.body !== 'string') {
    throw new InvalidRequest({
      description: 'The body must be application/x-www-form-urlencoded',
      detail: `content-type ${type.slice(0, 60)}`,
    });
  }
  const out = new Map<string, string[]>();
  for (const [key, value] of new URLSearchParams(req.body)) {
    // PostgreSQL refuses NUL in text; values that are only ever hashed (tokens, secrets) may carry it
    // and then simply match nothing, answering like any other wrong value (BI-37)
    if (key.includes('\u0000') || (value.includes('\u0000') && !HASHED_ONLY.has(key))) {
      throw new InvalidRequest({
        description: 'A parameter contains a NUL character',
        detail: 'NUL in form',
      });
    }
    const seen = out.get(key);
    if (seen && !allowRepeated.includes(key)) {
      throw new InvalidRequest({
        description: `A parameter is repeated`,
        detail: `repeated ${key.slice(0, 40)}`,
      });
    }
    if (seen) seen.push(value);
    else out.set(key, [value]);
  }
  return new Form(out);
}

export function noStore(res: HttpResponse) {
  res.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
}
