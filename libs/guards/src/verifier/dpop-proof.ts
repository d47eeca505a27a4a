import { createHash } from 'node:crypto';
import {
  calculateJwkThumbprint,
  decodeProtectedHeader,
  EmbeddedJWK,
  jwtVerify,
  type JWK,
  type JWTPayload,
} from 'jose';
import { DpopProofRejectedError, VerifierUnavailableError } from '../errors';
import type { TesseraAuthOptions } from '../options';
import { isOneSpelling } from './jwt-verifier';

/**
 * Asymmetric algorithms a proof may use (RFC 9449 §4.3 check 5: never `none`, never a MAC); the
 * order is the one advertised in `algs`.
 */
export const DPOP_ALGORITHMS = [
  'ES256',
  'EdDSA',
  'Ed25519',
  'ES384',
  'ES512',
  'PS256',
  'PS384',
  'PS512',
  'RS256',
  'RS384',
  'RS512',
];

// beyond this many live proofs the instance refuses new ones (503) rather than forget one
const MAX_REPLAY_ENTRIES = 100_000;
// one key may hold at most this share of them: a caller flooding proofs with its own key is then
// refused (401) alone, before the instance refuses everyone's
const MAX_SHARE_PER_KEY = 4;

/** The request a proof must be made for. */
export interface DpopRequest {
  method: string;
  /** The URL the caller used (its query, if any, is ignored). */
  url: string;
}

/** `origin + path` (RFC 9449 §4.3 check 9: query and fragment ignored), normalized by the URL parser. */
function htuOf(url: string): string | undefined {
  if (!URL.canParse(url)) return undefined;
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname}`;
}

/**
 * Checks a DPoP proof JWT for one request (RFC 9449 §4.3, §7.1) and answers the thumbprint of its
 * key. Seen proofs are remembered per instance by `jti` and key, for as long as their `iat` is in
 * the window, so each is used once; behind several instances a proof may be replayed once per
 * instance within the window (the `ath`, `htm` and `htu` checks still hold).
 */
export class DpopProofVerifier {
  // sha256(jkt, jti) → when the entry may go, and its key; inserted in time order, so expired
  // entries lead
  private readonly seen = new Map<string, { until: number; jkt: string }>();
  // live entries per key
  private readonly perKey = new Map<string, number>();

  constructor(
    private readonly o: TesseraAuthOptions,
    private readonly maxEntries = MAX_REPLAY_ENTRIES,
    private readonly maxPerKey = Math.ceil(maxEntries / MAX_SHARE_PER_KEY),
  ) {}

  private get windowMs(): number {
    return (this.o.dpopProofWindowSeconds ?? 60) * 1000;
  }

  get size(): number {
    return this.seen.size;
  }

  /** Resolves when `proof` was made for this request, with `token`, by the key `jkt` names. */
  async verify(proof: string, token: string, jkt: string, req: DpopRequest): Promise<void> {
    const refuse = (code: string): never => {
      throw new DpopProofRejectedError(code);
    };
    if (!isOneSpelling(proof)) refuse('ERR_DPOP_JWS_INVALID');
    let jwk: JWK;
    let payload: JWTPayload;
    let typ: unknown;
    try {
      const header = decodeProtectedHeader(proof);
      typ = header.typ;
      // only public members: a private key in a header is a leaked key, refused outright
      if (typeof header.jwk !== 'object' || header.jwk === null) refuse('ERR_DPOP_JWK');
      jwk = header.jwk!;
      if ('d' in jwk || 'k' in jwk || 'p' in jwk || 'q' in jwk) refuse('ERR_DPOP_JWK_PRIVATE');
      // EmbeddedJWK refuses a key that does not import as public, or whose alg or use disagree
      ({ payload } = await jwtVerify(proof, EmbeddedJWK, {
        typ: 'dpop+jwt',
        algorithms: DPOP_ALGORITHMS,
        requiredClaims: ['jti', 'htm', 'htu', 'iat'],
      }));
    } catch (err) {
      if (err instanceof DpopProofRejectedError) throw err;
      return refuse(`ERR_DPOP_${(err as { code?: string }).code ?? 'INVALID'}`);
    }
    // jose compares typ leniently (case, an `application/` prefix): the proof's own typ exactly
    if (typ !== 'dpop+jwt') refuse('ERR_DPOP_TYP');
    const { jti, htm, htu, iat, ath } = payload as Record<string, unknown>;
    if (typeof jti !== 'string' || !jti || jti.length > 256) refuse('ERR_DPOP_JTI');
    if (htm !== req.method) refuse('ERR_DPOP_HTM');
    const expected = htuOf(req.url);
    if (typeof htu !== 'string' || !expected || htuOf(htu) !== expected) refuse('ERR_DPOP_HTU');
    const now = Date.now();
    if (typeof iat !== 'number' || Math.abs(now - iat * 1000) > this.windowMs)
      refuse('ERR_DPOP_IAT');
    if (ath !== createHash('sha256').update(token).digest('base64url')) refuse('ERR_DPOP_ATH');
    // the key the token is bound to (RFC 9449 §7.1): another key's proof proves nothing
    if ((await calculateJwkThumbprint(jwk!, 'sha256')) !== jkt) refuse('ERR_DPOP_JKT');
    this.remember(
      createHash('sha256')
        .update(`${jkt}.${String(jti)}`)
        .digest('base64url'),
      jkt,
      now,
    );
  }

  /** Once per key and jti within the window: a proof seen before is a replay. */
  private remember(key: string, jkt: string, now: number): void {
    for (const [k, e] of this.seen) {
      if (e.until > now) break;
      this.seen.delete(k);
      const left = (this.perKey.get(e.jkt) ?? 1) - 1;
      if (left > 0) this.perKey.set(e.jkt, left);
      else this.perKey.delete(e.jkt);
    }
    if (this.seen.has(key)) throw new DpopProofRejectedError('ERR_DPOP_REPLAY');
    const mine = this.perKey.get(jkt) ?? 0;
    if (mine >= this.maxPerKey) throw new DpopProofRejectedError('ERR_DPOP_KEY_FLOOD');
    if (this.seen.size >= this.maxEntries)
      throw new VerifierUnavailableError('ERR_DPOP_REPLAY_CACHE_FULL');
    // an iat up to a window ahead stays acceptable until a window past it
    this.seen.set(key, { until: now + 2 * this.windowMs, jkt });
    this.perKey.set(jkt, mine + 1);
  }
}
