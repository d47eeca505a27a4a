import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createHash, randomUUID } from 'node:crypto';
import { DpopProofRejectedError, VerifierUnavailableError } from '../errors';
import { DpopProofVerifier } from './dpop-proof';

/** The replay cache of DPoP proofs: each proof once, memory bounded, entries gone after the window. */
describe('DpopProofVerifier replay cache', () => {
  const req = { method: 'GET', url: 'https://api.example.test/orders' };
  const token = 'a.b.c';
  let now = Date.parse('2026-01-01T00:00:00Z');
  let sign: (jti?: string) => Promise<string>;
  let jkt: string;

  beforeAll(async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = await exportJWK(publicKey);
    jkt = await calculateJwkThumbprint(jwk, 'sha256');
    sign = (jti = randomUUID()) =>
      new SignJWT({
        htm: 'GET',
        htu: req.url,
        jti,
        ath: createHash('sha256').update(token).digest('base64url'),
      })
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
        .setIssuedAt(Math.floor(now / 1000))
        .sign(privateKey);
  });
  beforeEach(() => jest.spyOn(Date, 'now').mockImplementation(() => now));
  afterEach(() => jest.restoreAllMocks());

  it('refuses a jti seen with the same key, and forgets entries once their window has passed', async () => {
    const v = new DpopProofVerifier({ issuer: 'x', audience: 'y', dpopProofWindowSeconds: 10 });
    const p = await sign('one');
    await v.verify(p, token, jkt, req);
    await expect(v.verify(p, token, jkt, req)).rejects.toBeInstanceOf(DpopProofRejectedError);
    expect(v.size).toBe(1);
    now += 21_000; // past iat + window, even for a proof dated a window ahead
    await v.verify(await sign('two'), token, jkt, req);
    expect(v.size).toBe(1); // 'one' went
  });

  it('holds at most its bound of live entries, and then refuses (503) rather than forget one', async () => {
    const v = new DpopProofVerifier(
      { issuer: 'x', audience: 'y', dpopProofWindowSeconds: 10 },
      3,
      4, // no share per key here: the instance-wide bound alone
    );
    for (let i = 0; i < 3; i++) await v.verify(await sign(), token, jkt, req);
    await expect(v.verify(await sign(), token, jkt, req)).rejects.toBeInstanceOf(
      VerifierUnavailableError,
    );
    expect(v.size).toBe(3);
    now += 21_000;
    await v.verify(await sign(), token, jkt, req);
    expect(v.size).toBe(1);
  });

  it('refuses a key that floods proofs (401) and still serves the others', async () => {
    const v = new DpopProofVerifier(
      { issuer: 'x', audience: 'y', dpopProofWindowSeconds: 10 },
      4,
      2,
    );
    for (let i = 0; i < 2; i++) await v.verify(await sign(), token, jkt, req);
    await expect(v.verify(await sign(), token, jkt, req)).rejects.toMatchObject({
      code: 'ERR_DPOP_KEY_FLOOD',
    });
    // another caller's key is still served: the flood cost only its own key
    const other = await generateKeyPair('ES256');
    const otherJwk = await exportJWK(other.publicKey);
    const otherProof = await new SignJWT({
      htm: 'GET',
      htu: req.url,
      jti: randomUUID(),
      ath: createHash('sha256').update(token).digest('base64url'),
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: otherJwk })
      .setIssuedAt(Math.floor(now / 1000))
      .sign(other.privateKey);
    await v.verify(otherProof, token, await calculateJwkThumbprint(otherJwk, 'sha256'), req);
    expect(v.size).toBe(3);
    now += 21_000; // the flooding key's entries go with their window
    await v.verify(await sign(), token, jkt, req);
  });
});
