import fc from 'fast-check';
import { generateKeyPairSync } from 'node:crypto';
import { TesseraVerifier, TokenRejectedError } from '@tessera/nest-guards';
import { es256, hs256, StubIssuer, unsigned } from '../support/jwt-issuer';
import { anyValue } from '../support/mutations';

/**
 * The guard library's JWT validation never accepts a mutated token: bit flips anywhere, header
 * changes (alg swaps, kid games, embedded keys), invalid claims signed with the real key, and
 * re-encodings of the same bytes. Every refusal is a TokenRejectedError, never another exception.
 */
const AUDIENCE = 'https://api.example.test/orders';
const RUNS = 300;
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

describe('the JWT validator under mutated tokens (property-based)', () => {
  const issuer = new StubIssuer();
  let verifier: TesseraVerifier;
  let a: ReturnType<StubIssuer['tenant']>;
  const attacker = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const header = () => ({ alg: 'ES256', typ: 'at+jwt', kid: a.kid });
  const claims = () => issuer.claims('a', AUDIENCE);
  let original: string;

  beforeAll(async () => {
    await issuer.start(['a', 'b']);
    a = issuer.tenant('a');
    verifier = new TesseraVerifier({ issuer: a.issuer, audience: AUDIENCE, mode: 'jwt' });
    await verifier.init();
    original = es256(header(), claims(), a.privateKey);
  });
  afterAll(async () => {
    verifier?.close();
    await issuer.stop();
  });

  const refused = async (token: string) => {
    const outcome = await verifier.verify(token).then(
      () => 'accepted',
      (err: unknown) => (err instanceof TokenRejectedError ? 'rejected' : `threw ${String(err)}`),
    );
    expect({ token, outcome }).toEqual({ token, outcome: 'rejected' });
  };

  it('accepts the unmutated token (control)', async () => {
    await expect(verifier.verify(original)).resolves.toMatchObject({ sub: 'user-1' });
  });

  it('refuses any bit flip in the header, the payload or the signature', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat(2),
        fc.nat(),
        fc.integer({ min: 0, max: 7 }),
        async (part, at, bit) => {
          const parts = original.split('.');
          const bytes = Buffer.from(parts[part], 'base64url');
          bytes[at % bytes.length] ^= 1 << bit;
          parts[part] = bytes.toString('base64url');
          await refused(parts.join('.'));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('refuses every header change, signed with the real key or the attacker’s', async () => {
    const headerChange = fc.oneof(
      fc.record({
        alg: fc.constantFrom(
          'none',
          'None',
          'HS256',
          'RS256',
          'ES384',
          'ES512',
          'EdDSA',
          'PS256',
          'es256',
          '',
        ),
      }),
      fc.record({
        typ: fc.oneof(fc.constantFrom('JWT', 'jwt', 'logout+jwt', 'at+jwt+x', ''), anyValue),
      }),
      fc.record({ kid: fc.oneof(anyValue, fc.constant(issuer.tenant('b')?.kid ?? 'b-key-1')) }),
      fc.record({ jwk: fc.constant(attacker.publicKey.export({ format: 'jwk' })) }),
      fc.record({ jku: fc.webUrl(), x5u: fc.webUrl() }),
      fc.record({ crit: fc.constant(['exp']) }),
    );
    await fc.assert(
      fc.asyncProperty(
        headerChange,
        fc.constantFrom('real', 'attacker', 'hmac', 'none'),
        async (change, by) => {
          const h = { ...header(), ...change };
          if (JSON.stringify(h) === JSON.stringify(header())) return; // no change at all
          // what the issuer itself could have signed is no forgery: the same kid, or extra members
          // (jwk, jku, x5u) the validator ignores; everything else must fail even with the real key
          const isHarmless =
            by === 'real' &&
            h.kid === a.kid &&
            Object.keys(change).every((k) => ['kid', 'jwk', 'jku', 'x5u'].includes(k));
          if (isHarmless) return;
          const token =
            by === 'real'
              ? es256(h, claims(), a.privateKey)
              : by === 'attacker'
                ? es256(h, claims(), attacker.privateKey)
                : by === 'hmac'
                  ? hs256(
                      h,
                      claims(),
                      a.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
                    )
                  : unsigned(h, claims());
          await refused(token);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('refuses invalid claims even with a valid signature', async () => {
    const now = Math.floor(Date.now() / 1000);
    // ten times the 60 s tolerance away from `now`: the runs take seconds, and a claim generated
    // for the first run must still be invalid at the last
    const far = 600;
    const badClaim = fc.oneof(
      fc.record({
        iss: fc.oneof(
          anyValue,
          fc.constant(`${a.issuer}/`),
          fc.constant(issuer.tenant('b').issuer),
        ),
      }),
      fc.record({ aud: fc.oneof(anyValue, fc.array(anyValue, { maxLength: 3 })) }),
      fc.record({ exp: fc.integer({ min: 0, max: now - far }) }),
      fc.record({ exp: fc.oneof(anyValue, fc.constant(null), fc.boolean()) }),
      fc.record({ nbf: fc.integer({ min: now + far, max: now + 10_000_000 }) }),
      fc.record({ iat: fc.integer({ min: now + far, max: now + 10_000_000 }) }),
      fc.constantFrom('sub', 'exp', 'jti', 'client_id', 'iss').map((k) => ({ [k]: undefined })),
      fc.record({
        sub: fc.oneof(fc.integer(), fc.constant(null)),
        client_id: fc.oneof(fc.integer(), fc.constant([])),
      }),
    );
    await fc.assert(
      fc.asyncProperty(badClaim, async (change) => {
        if (
          'aud' in change &&
          (change.aud === AUDIENCE || (Array.isArray(change.aud) && change.aud.includes(AUDIENCE)))
        )
          return;
        await refused(es256(header(), { ...claims(), ...change }, a.privateKey));
      }),
      { numRuns: RUNS },
    );
  });

  it('refuses re-encodings of the same bytes and arbitrary strings', async () => {
    const reencoded = fc.oneof(
      fc.constant(original.replace(/-/g, '+').replace(/_/g, '/')),
      fc.nat(2).map((p) =>
        original
          .split('.')
          .map((s, i) => (i === p ? `${s}=` : s))
          .join('.'),
      ),
      fc.nat(2).map((p) =>
        original
          .split('.')
          .map((s, i) => (i === p ? ` ${s}` : s))
          .join('.'),
      ),
      // the same signature bytes with the last character's spare bits set (jose accepts them)
      fc.integer({ min: 1, max: 15 }).map((spare) => {
        const sig = original.split('.')[2];
        const last = BASE64URL.indexOf(sig.at(-1)!);
        return `${original.slice(0, -1)}${BASE64URL[last | spare]}`;
      }),
      fc.constant(`${original}.`),
      fc.constant(`${original}.${original.split('.')[2]}`),
      fc.constant(original.split('.').slice(0, 2).join('.')),
      fc.constant(
        `${b64({ ...header(), alg: 'ES256' })}.${original.split('.')[1]}.${Buffer.from(original.split('.')[2], 'base64url').toString('hex')}`,
      ),
      anyValue,
      fc.string({ unit: 'binary', maxLength: 2000 }),
    );
    await fc.assert(
      fc.asyncProperty(reencoded, async (token) => {
        if (token === original) return;
        await refused(token);
      }),
      { numRuns: RUNS },
    );
  });
});
