import { InvalidScope } from '../errors';

const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** RFC 6749 §3.3: scope = scope-token *( SP scope-token ). Undefined when the parameter is absent. */
export function parseScope(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(' ');
  if (value.length > 4096 || parts.some((p) => !SCOPE_TOKEN.test(p)))
    throw new InvalidScope({
      description: 'The scope parameter is malformed',
      detail: 'malformed scope',
    });
  return [...new Set(parts)];
}

/** requested ∩ allowed, or everything allowed when nothing was requested; never more than allowed. */
export function narrowScopes(requested: string[] | undefined, allowed: Set<string>): string[] {
  if (requested === undefined) return [...allowed].sort();
  return requested.filter((s) => allowed.has(s)).sort();
}
