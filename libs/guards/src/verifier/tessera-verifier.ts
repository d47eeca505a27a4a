import type { JWTPayload } from 'jose';
import { TokenRejectedError, VerifierUnavailableError } from '../errors';
import type { TesseraAuthOptions, TesseraPrincipal, ValidationMode } from '../options';
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
  private initialising?: Promise<void>;

  constructor(private readonly o: TesseraAuthOptions & { mode: ValidationMode }) {
    this.jwt = new JwtVerifier(o);
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

  /** A principal for a valid, unrevoked token; TokenRejectedError or VerifierUnavailableError otherwise. */
  async verify(token: string): Promise<TesseraPrincipal> {
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
    const scope = typeof claims.scope === 'string' ? claims.scope : '';
    return {
      sub: claims.sub as string,
      clientId: claims.client_id as string,
      scopes: scope ? scope.split(' ') : [],
      ...(typeof claims.sid === 'string' ? { sid: claims.sid } : {}),
      claims,
    };
  }
}
