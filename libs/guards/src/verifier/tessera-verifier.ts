import type { JWTPayload } from 'jose';
import { TokenRejectedError, VerifierUnavailableError } from '../errors';
import type { TesseraAuthOptions, TesseraPrincipal, ValidationMode } from '../options';
import { DpopProofVerifier, type DpopRequest } from './dpop-proof';
import { IntrospectionVerifier } from './introspection-verifier';
import { JwtVerifier } from './jwt-verifier';
import { RevocationFeed } from './revocation-feed';
import { SsfStreamFollower } from './ssf-stream';

export interface VerifierHealth {
  mode: ValidationMode;
  isReady: boolean;
  jwksFetchedAt: number | null;
  /** The JWKS is older than its max age: the issuer has been unreachable, tokens are refused. */
  jwksStale: boolean;
  feed?: { isConnected: boolean; isStale: boolean; lastContactAt: number | null; entries: number };
}

/**
 * The verification core, free of Nest: the guard and the Passport strategy both call it.
 */
export class TesseraVerifier {
  private readonly jwt: JwtVerifier;
  private readonly introspection?: IntrospectionVerifier;
  /** What tells of revocations: the revocation feed (`jwt+feed`) or a Shared Signals stream (`jwt+ssf`). */
  readonly feed?: RevocationFeed | SsfStreamFollower;
  private readonly dpop: DpopProofVerifier;
  private initialising?: Promise<void>;

  constructor(private readonly o: TesseraAuthOptions & { mode: ValidationMode }) {
    this.jwt = new JwtVerifier(o);
    this.dpop = new DpopProofVerifier(o);
    if (o.mode === 'introspection') this.introspection = new IntrospectionVerifier(o);
    if (o.mode === 'jwt+feed') this.feed = new RevocationFeed(o, (kid) => this.jwt.withdraw(kid));
    if (o.mode === 'jwt+ssf') this.feed = new SsfStreamFollower(o);
  }

  /** Loads the JWKS and connects the feed; on failure retries in the background (requests fail closed meanwhile). */
  init(): Promise<void> {
    this.initialising ??= (async () => {
      for (let attempt = 0; ; attempt++) {
        try {
          if (this.o.mode !== 'introspection') await this.jwt.init();
          if (this.feed) await this.feed.start();
          return;
        } catch {
          if (attempt >= 2) {
            // keep trying without holding the caller's start-up
            this.initialising = undefined;
            setTimeout(() => void this.init(), 2000).unref();
            return;
          }
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    })();
    return this.initialising;
  }

  close(): void {
    this.jwt.close();
    this.feed?.stop();
  }

  health(): VerifierHealth {
    return {
      mode: this.o.mode,
      isReady:
        this.o.mode === 'introspection' ||
        (this.jwt.isReady && (!this.feed || this.feed.isConnected)),
      jwksFetchedAt: this.jwt.jwksFetchedAt ?? null,
      jwksStale: this.jwt.isJwksStale,
      ...(this.feed
        ? {
            feed: {
              isConnected: this.feed.isConnected,
              isStale: this.feed.isStale,
              lastContactAt: this.feed.lastContactAt || null,
              entries: this.feed.size,
            },
          }
        : {}),
    };
  }

  /**
   * A principal for a valid, unrevoked Bearer token; TokenRejectedError or VerifierUnavailableError
   * otherwise. A DPoP-bound token is refused here (RFC 9449 §7.2): it needs its proof,
   * {@link verifyDpop}.
   */
  async verify(token: string): Promise<TesseraPrincipal> {
    if (this.o.requireDpop) throw new TokenRejectedError('ERR_DPOP_REQUIRED');
    const claims = await this.claimsOf(token);
    if (jktOf(claims) !== undefined) throw new TokenRejectedError('ERR_TOKEN_DPOP_BOUND');
    return principalOf(claims, token);
  }

  /**
   * A principal for a valid, unrevoked DPoP-bound token sent with its proof for this request
   * (RFC 9449 §7.1). An unbound token is refused (TokenRejectedError), as is a proof that fails a
   * check of §4.3 or was made by another key than the token's `cnf.jkt` (DpopProofRejectedError).
   */
  async verifyDpop(token: string, proof: string, req: DpopRequest): Promise<TesseraPrincipal> {
    const claims = await this.claimsOf(token);
    const jkt = jktOf(claims);
    if (jkt === undefined) throw new TokenRejectedError('ERR_TOKEN_NOT_DPOP_BOUND');
    await this.dpop.verify(proof, token, jkt, req);
    return principalOf(claims, token, jkt);
  }

  private async claimsOf(token: string): Promise<JWTPayload> {
    let claims: JWTPayload;
    if (this.introspection) {
      claims = await this.introspection.verify(token);
    } else {
      claims = await this.jwt.verify(token);
      if (this.feed) {
        if (this.feed.isStale && this.o.failClosedWhenFeedStale !== false)
          throw new VerifierUnavailableError('ERR_FEED_STALE');
        if (this.feed.isRevoked(claims)) throw new TokenRejectedError('ERR_TOKEN_REVOKED');
      }
    }
    if (this.o.isRevoked && (await this.o.isRevoked(claims)))
      throw new TokenRejectedError('ERR_TOKEN_REVOKED');
    return claims;
  }
}

/** The token's key binding (RFC 9449 §6: `cnf.jkt`, in the JWT or the introspection answer). */
function jktOf(claims: JWTPayload): string | undefined {
  const cnf = claims.cnf as { jkt?: unknown } | undefined;
  if (typeof cnf !== 'object' || cnf === null || cnf.jkt === undefined) return undefined;
  // a binding we cannot read binds to no key we could check: never a Bearer token
  return typeof cnf.jkt === 'string' ? cnf.jkt : '';
}

function principalOf(claims: JWTPayload, token: string, jkt?: string): TesseraPrincipal {
  const scope = typeof claims.scope === 'string' ? claims.scope : '';
  const principal: TesseraPrincipal = {
    sub: claims.sub as string,
    clientId: claims.client_id as string,
    scopes: scope ? scope.split(' ') : [],
    ...(typeof claims.sid === 'string' ? { sid: claims.sid } : {}),
    ...(jkt !== undefined ? { jkt } : {}),
    claims,
  };
  // the raw token, for a token exchange on the caller's behalf; kept out of logs and JSON
  return Object.defineProperty(principal, 'token', { value: token, enumerable: false });
}
