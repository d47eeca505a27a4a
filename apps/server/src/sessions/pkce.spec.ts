import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { CODE_VERIFIER_RE, S256_CHALLENGE_RE, verifierMatches } from './pkce';

const unreserved = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~';
const verifier = fc
  .array(fc.constantFrom(...unreserved), { minLength: 43, maxLength: 128 })
  .map((cs) => cs.join(''));
const s256 = (v: string) => createHash('sha256').update(v).digest('base64url');

describe('PKCE S256 (RFC 7636)', () => {
  it('matches the example of RFC 7636 Appendix B', () => {
    expect(
      verifierMatches(
        'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk',
        'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      ),
    ).toBe(true);
  });

  it('accepts every well-formed verifier against its own challenge, a well-formed one', () => {
    fc.assert(
      fc.property(verifier, (v) => {
        expect(CODE_VERIFIER_RE.test(v)).toBe(true);
        expect(S256_CHALLENGE_RE.test(s256(v))).toBe(true);
        expect(verifierMatches(v, s256(v))).toBe(true);
      }),
    );
  });

  it("refuses another verifier's challenge", () => {
    fc.assert(
      fc.property(verifier, verifier, (a, b) => {
        fc.pre(a !== b);
        expect(verifierMatches(a, s256(b))).toBe(false);
      }),
    );
  });

  it('refuses the plain method: the verifier itself is no challenge', () => {
    fc.assert(fc.property(verifier, (v) => expect(verifierMatches(v, v)).toBe(false)));
  });

  it('refuses a malformed verifier even with its own challenge (§4.1: 43 to 128 unreserved)', () => {
    for (const v of ['a'.repeat(42), 'a'.repeat(129), `${'a'.repeat(42)}!`, `${'a'.repeat(42)} `])
      expect(verifierMatches(v, s256(v))).toBe(false);
  });

  it('refuses a challenge of another length without throwing', () => {
    const v = 'a'.repeat(43);
    expect(verifierMatches(v, s256(v).slice(1))).toBe(false);
    expect(verifierMatches(v, `${s256(v)}=`)).toBe(false);
    expect(verifierMatches(v, '')).toBe(false);
  });
});
