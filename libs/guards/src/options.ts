import type { CryptoKey, JWTHeaderParameters, JWTPayload, KeyObject } from 'jose';

/** How tokens are validated. */
export type ValidationMode = 'jwt' | 'introspection' | 'jwt+feed' | 'jwt+ssf';

/** Options of {@link TesseraAuthModule}. */
export interface TesseraAuthOptions {
  /** The tenant's issuer URL, e.g. `https://id.example.com/t/acme`. */
  issuer: string;
  /** The resource server identifier this service accepts (`aud`). */
  audience: string;
  /** Default: `jwt+feed` when credentials are given, `jwt` otherwise. */
  mode?: ValidationMode;
  /** Credentials of a confidential application or of the resource server (introspection, feed). */
  clientId?: string;
  clientSecret?: string;
  /** Accepted clock skew for exp/nbf/iat (default 60 s). */
  clockToleranceSeconds?: number;
  /** Unknown kid: refetch the JWKS at most once per this many seconds (default 30). */
  jwksCooldownSeconds?: number;
  /**
   * Longest time the JWKS is trusted without a successful refetch (default 600). It is refetched
   * in the background well before; if the issuer stays unreachable beyond this age, every token is
   * refused with `unavailableStatus` (fail closed) and the health indicator reports the JWKS stale.
   */
  jwksCacheMaxAgeSeconds?: number;
  /** Longest time a positive introspection answer is cached (default 30; never beyond the token's exp). */
  introspectionCacheSeconds?: number;
  /** How long an inactive answer is cached (default 5). */
  negativeCacheSeconds?: number;
  /** Status when the introspection endpoint, a stale JWKS or a stale feed makes validation impossible (default 503). */
  unavailableStatus?: 401 | 503;
  /** The feed counts as stale after this long without contact (default 30 s). */
  feedStalenessSeconds?: number;
  /** Refuse tokens while the feed is stale (default true). */
  failClosedWhenFeedStale?: boolean;
  /**
   * `jwt+ssf`: a poll stream of the issuer's Shared Signals transmitter the credentials' application
   * created beforehand; without it, one is created at start and deleted at stop.
   */
  ssfStreamId?: string;
  /** `jwt+ssf`: how long an ended session's id is kept (default 86400: longer than any access token). */
  ssfSessionMemorySeconds?: number;
  /**
   * Advanced: resolve verification keys locally instead of fetching the JWKS (the issuer's own server
   * uses it). With `acceptIssuer`, it also receives the token's `iss` and must answer only keys of
   * that issuer (RFC 8725 §3.8).
   */
  keyResolver?: (header: JWTHeaderParameters, iss: string) => Promise<CryptoKey | KeyObject>;
  /**
   * Advanced, with `keyResolver` (the issuer's own multi-tenant server uses it): accept tokens of
   * every issuer this answers true for, instead of `issuer` alone. Each token is verified with the
   * keys `keyResolver` gives for its own `iss`, so one issuer's key never validates another's token.
   */
  acceptIssuer?: (iss: string) => boolean;
  /** Advanced: an extra revocation check run after the signature (the issuer's own server uses it). */
  isRevoked?: (claims: JWTPayload) => Promise<boolean>;
  /**
   * Refuse `Bearer` tokens: every call must carry a DPoP-bound token and its proof (RFC 9449).
   * Default false: both kinds are accepted (a bound token still only with its proof, §7.2).
   */
  requireDpop?: boolean;
  /**
   * The URL this service is reached at from outside, e.g. `https://api.example.com/orders-svc`
   * (origin, and the path prefix a proxy strips, if any): a DPoP proof's `htu` is compared with it
   * plus the request's path. Needed behind a proxy or load balancer, where the request's own Host and
   * protocol are the proxy's (and the Host header is the caller's to choose). Default: the
   * request's Host header and protocol.
   */
  publicUrl?: string;
  /** A DPoP proof's `iat` may be this far from now, either way (default 60 s; RFC 9449 §11.1). */
  dpopProofWindowSeconds?: number;
}

/** Who called: what a handler gets from `@Principal()`. */
export interface TesseraPrincipal {
  sub: string;
  clientId: string;
  scopes: string[];
  sid?: string;
  /**
   * The token is DPoP-bound (RFC 9449): the SHA-256 thumbprint (RFC 7638) of the key whose proof
   * came with this request, equal to the token's `cnf.jkt`. Absent for a Bearer token.
   */
  jkt?: string;
  claims: JWTPayload;
  /**
   * The access token it was verified from, for TesseraExchange (RFC 8693). Not enumerable: a
   * principal logged or serialised whole does not carry it.
   */
  readonly token?: string;
}

export function validateOptions(
  o: TesseraAuthOptions,
): Required<Pick<TesseraAuthOptions, 'mode'>> & TesseraAuthOptions {
  const fail = (field: string, why: string) => {
    throw new Error(`TesseraAuthModule: ${field} ${why}`);
  };
  try {
    const u = new URL(o.issuer);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') fail('issuer', 'must be an http(s) URL');
  } catch {
    fail('issuer', 'must be an absolute URL');
  }
  if (!o.audience) fail('audience', 'is required (the resource server identifier)');
  if (o.acceptIssuer && !o.keyResolver)
    fail('acceptIssuer', 'needs keyResolver (keys are resolved per issuer)');
  const mode: ValidationMode = o.mode ?? (o.clientId && o.clientSecret ? 'jwt+feed' : 'jwt');
  if (mode !== 'jwt' && (!o.clientId || !o.clientSecret))
    fail('clientId/clientSecret', `are required in mode ${mode}`);
  if (!['jwt', 'introspection', 'jwt+feed', 'jwt+ssf'].includes(mode))
    fail('mode', 'must be jwt, introspection, jwt+feed or jwt+ssf');
  const age = o.jwksCacheMaxAgeSeconds;
  if (age !== undefined && !(Number.isFinite(age) && age >= 1))
    fail('jwksCacheMaxAgeSeconds', 'must be a number of seconds, at least 1');
  if (o.publicUrl !== undefined) {
    const u = URL.canParse(o.publicUrl) ? new URL(o.publicUrl) : undefined;
    if (!u || (u.protocol !== 'https:' && u.protocol !== 'http:') || u.search || u.hash)
      fail('publicUrl', 'must be an absolute http(s) URL without query or fragment');
  }
  const w = o.dpopProofWindowSeconds;
  if (w !== undefined && !(Number.isFinite(w) && w >= 1))
    fail('dpopProofWindowSeconds', 'must be a number of seconds, at least 1');
  return { ...o, mode };
}
