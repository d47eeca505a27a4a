import { createPrivateKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';

export type SigningAlg = 'ES256' | 'EdDSA';

export interface Signer {
  kid: string;
  alg: SigningAlg;
  privateKey: KeyObject;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * Compact JWS with synchronous node:crypto: no thread-pool hop, so a burst of argon2 work on the
 * pool cannot delay token signing (SECURITY-TESTS §4c). ES256 signatures are raw r‖s (RFC 7518 §3.4).
 */
export function signJwt(
  signer: Signer,
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
): string {
  const input = `${b64({ ...header, alg: signer.alg, kid: signer.kid })}.${b64(payload)}`;
  const signature =
    signer.alg === 'ES256'
      ? sign('sha256', Buffer.from(input), { key: signer.privateKey, dsaEncoding: 'ieee-p1363' })
      : sign(null, Buffer.from(input), signer.privateKey);
  return `${input}.${signature.toString('base64url')}`;
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
 * The payload bytes of a compact JWS when its signature verifies under `key` with `alg`
 * (synchronous node:crypto, like signing: no thread-pool hop per introspection). The caller has
 * already checked the header names this key and algorithm.
 */
export function verifyJws(token: string, key: KeyObject, alg: string): Buffer | undefined {
  const first = token.indexOf('.');
  const last = token.lastIndexOf('.');
  if (first <= 0 || last === first || token.indexOf('.', first + 1) !== last) return undefined;
  const input = Buffer.from(token.slice(0, last));
  const signature = Buffer.from(token.slice(last + 1), 'base64url');
  const ok =
    alg === 'ES256'
      ? signature.length === 64 &&
        verify('sha256', input, { key, dsaEncoding: 'ieee-p1363' }, signature)
      : alg === 'EdDSA'
        ? verify(null, input, key, signature)
        : false;
  return ok ? Buffer.from(token.slice(first + 1, last), 'base64url') : undefined;
}
