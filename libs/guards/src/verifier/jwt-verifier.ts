import {
  createRemoteJWKSet,
  jwksCache,
  jwtVerify,
  type FlattenedJWSInput,
  type JWTHeaderParameters,
  type JWTPayload,
} from 'jose';
import { TokenRejectedError, VerifierUnavailableError } from '../errors';
import type { TesseraAuthOptions } from '../options';

// Tessera signs with these; the verifier fixes them (RFC 8725 §3.1): no none, no HMAC
const ALGORITHMS = ['ES256', 'EdDSA'];
// JWS compact serialization, base64url without padding or whitespace (RFC 7515 §7.1, §2): jose
// decodes the signature leniently, so ` sig` or `sig\n` would verify as another string of one token
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * One string per token: a strict compact serialization whose signature is spelled canonically, its
 * last character's spare bits zero (RFC 4648 §3.5). jose accepts the other spellings of the same
 * signature bytes (16 for a 64-byte signature). The header and payload need no such check: their
 * encoded text is what the signature covers.
 */
export function isOneSpelling(token: string): boolean {
  if (!COMPACT_JWS.test(token)) return false;
  const signature = token.slice(token.lastIndexOf('.') + 1);
  return Buffer.from(signature, 'base64url').toString('base64url') === signature;
}

/** The `iss` a JWS payload names, read before its signature is checked: only to pick the keys. */
function issuerOf(payload: string | Uint8Array): string {
  try {
    const text =
      typeof payload === 'string'
        ? Buffer.from(payload, 'base64url').toString('utf8')
        : Buffer.from(payload).toString('utf8');
    const iss = (JSON.parse(text) as { iss?: unknown }).iss;
    return typeof iss === 'string' ? iss : '';
  } catch {
    return '';
  }
}

/**
 * Offline validation of RFC 9068 access tokens against the issuer's JWKS (found by discovery,
 * cached; an unknown kid refetches at most once per cooldown). The JWKS is refetched in the
 * background at half its max age; past the max age without a successful fetch, every token is
 * refused (VerifierUnavailableError) until the issuer answers again.
 */
export class JwtVerifier {
  private jwks?: ReturnType<typeof createRemoteJWKSet>;
  // jose records the time (`uat`) and the set (`jwks`) of each successful fetch here
  private readonly jwksState: { uat?: number; jwks?: { keys?: Array<{ kid?: unknown }> } } = {};
  private listed?: { jwks: unknown; kids: Set<string> };
  private refreshTimer?: NodeJS.Timeout;
  private lastFailedReloadAt = 0;
  // tokens whose signature and claims were checked once: their expiry and their key (still
  // published, not withdrawn) are rechecked on every use, revocation by the caller; bounded,
  // cleared when full
  private readonly verified = new Map<string, Verified>();
  // keys the issuer withdrew (revocation feed): refused until a JWKS fetched since no longer lists them
  private readonly withdrawn = new Set<string>();

  constructor(private readonly o: TesseraAuthOptions) {}

  private get maxAgeMs(): number {
    return (this.o.jwksCacheMaxAgeSeconds ?? 600) * 1000;
  }

  /** When the JWKS was last fetched successfully. */
  get jwksFetchedAt(): number | undefined {
    return this.jwksState.uat;
  }

  /** Loaded once, and not refetched successfully for longer than its max age. */
  get isJwksStale(): boolean {
    return !!this.jwks && !this.jwks.fresh;
  }

  async init(): Promise<void> {
    if (this.o.keyResolver) return;
    const res = await fetch(`${this.o.issuer}/.well-known/openid-configuration`, {
      signal: AbortSignal.timeout(5000),
    });
    if (!res.ok) throw new VerifierUnavailableError('ERR_DISCOVERY');
    const meta = (await res.json()) as { issuer?: string; jwks_uri?: string };
    // the metadata must be the issuer's own (RFC 8414 §3.3)
    if (meta.issuer !== this.o.issuer || typeof meta.jwks_uri !== 'string')
      throw new VerifierUnavailableError('ERR_DISCOVERY_ISSUER');
    const jwks = createRemoteJWKSet(new URL(meta.jwks_uri), {
      cooldownDuration: (this.o.jwksCooldownSeconds ?? 30) * 1000,
      cacheMaxAge: this.maxAgeMs,
      timeoutDuration: 5000,
      [jwksCache]: this.jwksState as Record<string, never>, // jose fills it in
    });
    await jwks.reload();
    this.jwks = jwks;
    clearInterval(this.refreshTimer); // init runs again when a start-up attempt failed later on
    // refresh ahead, so the keys stay fresh while the issuer answers and age only while it does not
    this.refreshTimer = setInterval(
      () =>
        void jwks.reload().then(
          () => this.forgetWithdrawn(),
          () => undefined,
        ),
      this.maxAgeMs / 2,
    );
    this.refreshTimer.unref();
  }

  /** The kids of the JWKS as last fetched (jose replaces the set object on every fetch). */
  private listedKids(): Set<string> {
    const jwks = this.jwksState.jwks;
    if (!this.listed || this.listed.jwks !== jwks) {
      const kids = (jwks?.keys ?? []).map((k) => k.kid).filter((k) => typeof k === 'string');
      this.listed = { jwks, kids: new Set(kids) };
    }
    return this.listed.kids;
  }

  /** Withdrawn keys the JWKS no longer lists need no entry of their own: no token verifies by them. */
  private forgetWithdrawn(): void {
    const listed = this.listedKids();
    for (const kid of this.withdrawn) if (!listed.has(kid)) this.withdrawn.delete(kid);
  }

  /**
   * The issuer withdrew a key (a leaked key, announced on the revocation feed): tokens it signed
   * are refused from now on, verified ones included, and the JWKS is refetched at once, without
   * waiting for the cooldown, so the key leaves it too.
   */
  withdraw(kid: string): void {
    // with the JWKS (not a key resolver): a key it does not list verifies nothing already
    if (this.jwks && !this.listedKids().has(kid)) return;
    this.withdrawn.add(kid);
    for (const [token, v] of this.verified) if (v.kid === kid) this.verified.delete(token);
    void this.jwks?.reload().then(
      () => this.forgetWithdrawn(),
      () => undefined,
    );
  }

  /** A key resolver (instead of the JWKS) still gives a key for this kid and alg, of this issuer. */
  private async resolves(kid: string, alg: string, iss: unknown): Promise<boolean> {
    try {
      // only called with a resolver configured
      await this.o.keyResolver!({ alg, kid }, typeof iss === 'string' ? iss : this.o.issuer);
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    clearInterval(this.refreshTimer);
  }

  /**
   * Past the max age the keys are refetched before use; if that fails the token is refused for now,
   * including tokens verified earlier (a key may have been withdrawn meanwhile): fail closed. At
   * most one attempt a second while the issuer is unreachable; requests in between fail at once.
   */
  private async refreshStaleKeys(jwks: NonNullable<JwtVerifier['jwks']>): Promise<void> {
    if (Date.now() - this.lastFailedReloadAt < 1000)
      throw new VerifierUnavailableError('ERR_JWKS_STALE');
    try {
      await jwks.reload();
    } catch {
      this.lastFailedReloadAt = Date.now();
      throw new VerifierUnavailableError('ERR_JWKS_STALE');
    }
  }

  /** The keys to verify with: the JWKS, or the resolver (given the token's `iss` when several are accepted). */
  private keys() {
    const resolve = this.o.keyResolver;
    if (!resolve) return this.jwks;
    return (header: JWTHeaderParameters, jws: FlattenedJWSInput) =>
      resolve(header, this.o.acceptIssuer ? issuerOf(jws.payload) : this.o.issuer);
  }

  get isReady(): boolean {
    return !!this.o.keyResolver || !!this.jwks;
  }

  async verify(token: string): Promise<JWTPayload> {
    if (!isOneSpelling(token)) throw new TokenRejectedError('ERR_JWS_INVALID');
    // checked synchronously: a fresh JWKS (the common case) costs no await on this path
    if (this.jwks && !this.jwks.fresh) await this.refreshStaleKeys(this.jwks);
    const tolerance = this.o.clockToleranceSeconds ?? 60;
    const hit = this.verified.get(token);
    if (hit) {
      if ((hit.payload.exp as number) + tolerance <= Date.now() / 1000) {
        this.verified.delete(token);
        throw new TokenRejectedError('ERR_JWT_EXPIRED');
      }
      // its key may have left the JWKS, or been withdrawn, since: then it is verified afresh below
      // (with the JWKS, the common case, the check costs no await)
      const isKeyTrusted =
        hit.kid !== undefined &&
        !this.withdrawn.has(hit.kid) &&
        (this.o.keyResolver
          ? await this.resolves(hit.kid, hit.alg, hit.payload.iss)
          : this.listedKids().has(hit.kid));
      if (isKeyTrusted) return hit.payload;
      this.verified.delete(token);
    }
    const keys = this.keys();
    if (!keys) throw new VerifierUnavailableError('ERR_JWKS_NOT_LOADED');
    try {
      const { payload, protectedHeader } = await jwtVerify(
        token,
        keys as Parameters<typeof jwtVerify>[1],
        {
          // several issuers: each token's own `iss`, the one its key was resolved for, checked below
          issuer: this.o.acceptIssuer ? undefined : this.o.issuer,
          audience: this.o.audience,
          typ: 'at+jwt', // compared case-insensitively, application/ optional (RFC 9068 §4)
          algorithms: ALGORITHMS,
          clockTolerance: this.o.clockToleranceSeconds ?? 60,
          requiredClaims: ['sub', 'exp', 'iat', 'jti', 'client_id'],
        },
      );
      if (
        typeof payload.iat === 'number' &&
        payload.iat - (this.o.clockToleranceSeconds ?? 60) > Date.now() / 1000
      ) {
        throw new TokenRejectedError('ERR_TOKEN_IAT_FUTURE');
      }
      if (typeof payload.client_id !== 'string' || typeof payload.sub !== 'string')
        throw new TokenRejectedError('ERR_TOKEN_CLAIMS');
      if (this.o.acceptIssuer && !this.o.acceptIssuer(String(payload.iss)))
        throw new TokenRejectedError('ERR_JWT_CLAIM_VALIDATION_FAILED');
      const kid = protectedHeader.kid;
      if (kid !== undefined && this.withdrawn.has(kid))
        throw new TokenRejectedError('ERR_KEY_WITHDRAWN');
      if (this.verified.size >= 10_000) this.verified.clear();
      this.verified.set(token, { payload, kid, alg: protectedHeader.alg });
      return payload;
    } catch (err) {
      if (err instanceof TokenRejectedError || err instanceof VerifierUnavailableError) throw err;
      const code = (err as { code?: string }).code ?? 'ERR_TOKEN_INVALID';
      throw new TokenRejectedError(code);
    }
  }
}

interface Verified {
  payload: JWTPayload;
  /** The header's kid and alg: the key must still be trusted when the token comes back. */
  kid?: string;
  alg: string;
}
