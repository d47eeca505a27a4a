import { createPrivateKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';

export type SigningAlg = 'ES256' | 'EdDSA';

export interface Signer {
  kid: string;
  alg: SigningAlg;
  privateKey: KeyObject;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * Compact JWS. The signature is computed on libuv's thread pool (node:crypto's callback form), off
 * the event loop: on the token endpoint it was a third of the loop's time per request. argon2
 * shares that pool, so its concurrency is bounded below the pool's size (see PasswordHasher and
 * sizeThreadPool), and a sign-in burst cannot hold every thread (FT-17).
 * ES256 signatures are raw r‖s (RFC 7518 §3.4).
 */
export function signJwt(
  signer: Signer,
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
): Promise<string> {
  const input = `${b64({ ...header, alg: signer.alg, kid: signer.kid })}.${b64(payload)}`;
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, signature: Buffer) =>
      err ? reject(err) : resolve(`${input}.${signature.toString('base64url')}`);
    if (signer.alg === 'ES256')
      sign(
        'sha256',
        Buffer.from(input),
        { key: signer.privateKey, dsaEncoding: 'ieee-p1363' },
        done,
      );
    else sign(null, Buffer.from(input), signer.privateKey, done);
  });
}

export function generateKeyPair(alg: SigningAlg): {
  privateDer: Buffer;
  publicJwk: Record<string, string>;
} {
  const pair =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('ed25519');
  return {
    privateDer: pair.privateKey.export({ format: 'der', type: 'pkcs8' }),
    publicJwk: pair.publicKey.export({ format: 'jwk' }) as Record<string, string>,
  };
}

export function privateKeyFromDer(der: Buffer): KeyObject {
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}

/**
 * The payload bytes of a compact JWS when its signature verifies under `key` with `alg` (on the
 * thread pool, like signing). The caller has already checked the header names this key and
 * algorithm.
 */
export async function verifyJws(
  token: string,
  key: KeyObject,
  alg: string,
): Promise<Buffer | undefined> {
  const first = token.indexOf('.');
  const last = token.lastIndexOf('.');
  if (first <= 0 || last === first || token.indexOf('.', first + 1) !== last) return undefined;
  const input = Buffer.from(token.slice(0, last));
  const encoded = token.slice(last + 1);
  const signature = Buffer.from(encoded, 'base64url');
  // one spelling per signature: the last character's spare bits must be zero (RFC 4648 §3.5), or
  // one token would have several accepted forms
  if (signature.toString('base64url') !== encoded) return undefined;
  const ok = await new Promise<boolean>((resolve, reject) => {
    const done = (err: Error | null, valid: boolean) => (err ? reject(err) : resolve(valid));
    if (alg === 'ES256' && signature.length === 64)
      verify('sha256', input, { key, dsaEncoding: 'ieee-p1363' }, signature, done);
    else if (alg === 'EdDSA') verify(null, input, key, signature, done);
    else resolve(false);
  });
  return ok ? Buffer.from(token.slice(first + 1, last), 'base64url') : undefined;
}
