import fc from 'fast-check';
import type { PermissionGroupDef, ScopeDef } from './resource-server.entity';
import { resolveScopes, unknownNames, userScopes, type NamedScopes } from './scope-resolution';

const name = fc.constantFrom('read', 'write', 'admin', 'export', 'delete', 'audit', 'gone');
const group = fc.constantFrom('readers', 'writers', 'owners', 'missing');

const server = fc.record({
  scopes: fc
    .uniqueArray(name, { maxLength: 6 })
    .map((ns): ScopeDef[] => ns.map((n) => ({ name: n, description: n }))),
  // a group may name a scope the server no longer defines: resolution must drop it
  permissionGroups: fc
    .uniqueArray(fc.record({ name: group, scopes: fc.uniqueArray(name, { maxLength: 4 }) }), {
      selector: (g) => g.name,
      maxLength: 3,
    })
    .map((gs): PermissionGroupDef[] => gs),
});
const named = fc.record({
  scopes: fc.uniqueArray(name, { maxLength: 5 }),
  permissionGroups: fc.uniqueArray(group, { maxLength: 3 }),
});
const subsetOf = (a: Set<string>, b: Set<string>) => [...a].every((s) => b.has(s));

describe('scope resolution at a resource server', () => {
  it('never gives a scope the server does not define now', () => {
    fc.assert(
      fc.property(server, named, (rs, n) => {
        const defined = new Set(rs.scopes.map((s) => s.name));
        expect(subsetOf(resolveScopes(rs, n), defined)).toBe(true);
      }),
    );
  });

  it('gives each named single scope the server defines, and every defined scope of each named group', () => {
    fc.assert(
      fc.property(server, named, (rs, n) => {
        const defined = new Set(rs.scopes.map((s) => s.name));
        const out = resolveScopes(rs, n);
        for (const s of n.scopes) expect(out.has(s)).toBe(defined.has(s));
        for (const g of n.permissionGroups)
          for (const s of rs.permissionGroups.find((p) => p.name === g)?.scopes ?? [])
            if (defined.has(s)) expect(out.has(s)).toBe(true);
      }),
    );
  });

  it('gives more when more is named (monotone), and nothing for nothing', () => {
    fc.assert(
      fc.property(server, named, named, (rs, a, b) => {
        const union: NamedScopes = {
          scopes: [...a.scopes, ...b.scopes],
          permissionGroups: [...a.permissionGroups, ...b.permissionGroups],
        };
        expect(subsetOf(resolveScopes(rs, a), resolveScopes(rs, union))).toBe(true);
        expect(resolveScopes(rs, { scopes: [], permissionGroups: [] }).size).toBe(0);
      }),
    );
  });

  it("gives a user token only what both the application's access and the user's permission give", () => {
    fc.assert(
      fc.property(server, named, named, (rs, access, held) => {
        const out = userScopes(rs, access, held);
        expect(subsetOf(out, resolveScopes(rs, access))).toBe(true);
        expect(subsetOf(out, resolveScopes(rs, held))).toBe(true);
        for (const s of resolveScopes(rs, access))
          if (resolveScopes(rs, held).has(s)) expect(out.has(s)).toBe(true);
        expect(userScopes(rs, held, access)).toEqual(out); // an intersection: order does not matter
      }),
    );
  });

  it('names every unknown scope and group with its pointer, and nothing else', () => {
    fc.assert(
      fc.property(server, named, (rs, n) => {
        const defined = new Set(rs.scopes.map((s) => s.name));
        const groups = new Set(rs.permissionGroups.map((g) => g.name));
        const problems = unknownNames(rs, n, '/grants/3');
        expect(problems).toEqual([
          ...n.scopes.flatMap((s, j) =>
            defined.has(s)
              ? []
              : [{ pointer: `/grants/3/scopes/${j}`, detail: `Unknown scope ${s}` }],
          ),
          ...n.permissionGroups.flatMap((g, j) =>
            groups.has(g)
              ? []
              : [
                  {
                    pointer: `/grants/3/permissionGroups/${j}`,
                    detail: `Unknown permission group ${g}`,
                  },
                ],
          ),
        ]);
      }),
    );
  });
});
