import fc from 'fast-check';
import { narrowScopes, parseScope } from './scopes';

// RFC 6749 §3.3 scope-token: %x21 / %x23-5B / %x5D-7E
const scopeToken = fc.stringMatching(/^[\x21\x23-\x5B\x5D-\x7E]{1,20}$/);

describe('parseScope (RFC 6749 §3.3)', () => {
  it('reads an absent parameter as absent, not as no scope', () => {
    expect(parseScope(undefined)).toBeUndefined();
  });

  it('reads the scope tokens back once each, in their first order', () => {
    fc.assert(
      fc.property(fc.array(scopeToken, { minLength: 1, maxLength: 20 }), (tokens) => {
        expect(parseScope(tokens.join(' '))).toEqual([...new Set(tokens)]);
      }),
    );
  });

  it.each([
    ['an empty value', ''],
    ['two spaces in a row', 'openid  profile'],
    ['a leading space', ' openid'],
    ['a double quote', 'open"id'],
    ['a backslash', 'open\\id'],
    ['a tab', 'openid\tprofile'],
    ['a non-ASCII character', 'öffnen'],
    ['more than 4096 characters', 'a'.repeat(4097)],
  ])('refuses %s as invalid_scope', (_what, value) => {
    expect(() => parseScope(value)).toThrow(expect.objectContaining({ error: 'invalid_scope' }));
  });
});

describe('narrowScopes', () => {
  const sets = fc.tuple(
    fc.option(fc.array(scopeToken, { maxLength: 10 }), { nil: undefined }),
    fc.uniqueArray(scopeToken, { maxLength: 10 }),
  );

  it('never gives more than allowed, nor what was not asked for, and answers sorted', () => {
    fc.assert(
      fc.property(sets, ([requested, allowedList]) => {
        const allowed = new Set(allowedList);
        const out = narrowScopes(requested, allowed);
        for (const s of out) expect(allowed.has(s)).toBe(true);
        if (requested) for (const s of out) expect(requested).toContain(s);
        expect(out).toEqual([...out].sort());
      }),
    );
  });

  it('gives everything allowed when nothing was asked for, and nothing for an empty ask', () => {
    fc.assert(
      fc.property(fc.uniqueArray(scopeToken, { maxLength: 10 }), (allowedList) => {
        const allowed = new Set(allowedList);
        expect(narrowScopes(undefined, allowed)).toEqual([...allowedList].sort());
        expect(narrowScopes([], allowed)).toEqual([]);
      }),
    );
  });

  it('keeps every asked scope that is allowed', () => {
    fc.assert(
      fc.property(sets, ([requested, allowedList]) => {
        const allowed = new Set(allowedList);
        const out = new Set(narrowScopes(requested, allowed));
        for (const s of requested ?? allowedList) if (allowed.has(s)) expect(out.has(s)).toBe(true);
      }),
    );
  });
});
