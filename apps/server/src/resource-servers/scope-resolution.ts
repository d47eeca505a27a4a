import type { FieldProblem } from '../http';
import type { ResourceServer } from './resource-server.entity';

/** What a resource server defines: its scopes and the groups that bundle them. */
type ScopeDefinitions = Pick<ResourceServer, 'scopes' | 'permissionGroups'>;

/** Single scopes and permission groups at one resource server: an application's access or a user's permission. */
export interface NamedScopes {
  scopes: string[];
  permissionGroups: string[];
}

/**
 * The scopes named by single scopes and groups, limited to what the server defines now: a scope
 * the server dropped stops being given at once, even while an access or permission row names it.
 */
export function resolveScopes(rs: ScopeDefinitions, named: NamedScopes): Set<string> {
  const known = new Set(rs.scopes.map((s) => s.name));
  const out = new Set<string>();
  for (const s of named.scopes) if (known.has(s)) out.add(s);
  for (const g of named.permissionGroups)
    for (const s of rs.permissionGroups.find((p) => p.name === g)?.scopes ?? [])
      if (known.has(s)) out.add(s);
  return out;
}

/** What a user token may carry at one server: what the application may ask ∩ what the user holds. */
export function userScopes(
  rs: ScopeDefinitions,
  access: NamedScopes,
  held: NamedScopes,
): Set<string> {
  const holds = resolveScopes(rs, held);
  return new Set([...resolveScopes(rs, access)].filter((s) => holds.has(s)));
}

/** The scopes and groups of one entry the server does not define, each with its JSON pointer. */
export function unknownNames(
  rs: ScopeDefinitions,
  entry: Partial<NamedScopes>,
  pointer: string,
): FieldProblem[] {
  const known = new Set(rs.scopes.map((s) => s.name));
  const problems: FieldProblem[] = [];
  (entry.scopes ?? []).forEach(
    (s, j) =>
      known.has(s) ||
      problems.push({ pointer: `${pointer}/scopes/${j}`, detail: `Unknown scope ${s}` }),
  );
  (entry.permissionGroups ?? []).forEach(
    (g, j) =>
      rs.permissionGroups.some((x) => x.name === g) ||
      problems.push({
        pointer: `${pointer}/permissionGroups/${j}`,
        detail: `Unknown permission group ${g}`,
      }),
  );
  return problems;
}
