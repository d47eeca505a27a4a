import { createHash } from 'node:crypto';
import type { JWTPayload } from 'jose';
import { TokenRejectedError, VerifierUnavailableError } from '../errors';
import type { TesseraAuthOptions } from '../options';

interface Entry {
  claims?: JWTPayload;
  until: number;
}

const MAX_ENTRIES = 50_000;

/**
 * Validation by RFC 7662 introspection with the service's credentials. Positive answers are cached
 * no longer than the token's exp and the configured cap; negative ones briefly. If the endpoint
 * fails, validation fails closed.
 */
export class IntrospectionVerifier {
  private readonly cache = new Map<string, Entry>();

  constructor(private readonly o: TesseraAuthOptions) {}

  async verify(token: string): Promise<JWTPayload> {
    const key = createHash('sha256').update(token).digest('base64url');
    const now = Date.now();
    const hit = this.cache.get(key);
    if (hit && hit.until > now) {
      if (!hit.claims) throw new TokenRejectedError('ERR_TOKEN_INACTIVE');
      return hit.claims;
    }
    let body: Record<string, unknown>;
    try {
      const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
      const res = await fetch(`${this.o.issuer}/introspect`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${enc(this.o.clientId!)}:${enc(this.o.clientSecret!)}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
        signal: AbortSignal.timeout(5000),
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      body = (await res.json()) as Record<string, unknown>;
    } catch {
      throw new VerifierUnavailableError('ERR_INTROSPECTION_UNAVAILABLE');
    }
    if (this.cache.size > MAX_ENTRIES) this.cache.clear();
    const aud = Array.isArray(body.aud) ? body.aud : [body.aud];
    const active =
      body.active === true &&
      // a DPoP-bound token (RFC 9449 §6.2) names its key in `cnf`, which the caller checks
      (body.token_type === 'Bearer' ||
        (body.token_type === 'DPoP' &&
          typeof (body.cnf as { jkt?: unknown } | undefined)?.jkt === 'string')) &&
      aud.includes(this.o.audience) &&
      body.iss === this.o.issuer;
    if (!active) {
      this.cache.set(key, { until: now + (this.o.negativeCacheSeconds ?? 5) * 1000 });
      throw new TokenRejectedError('ERR_TOKEN_INACTIVE');
    }
    const claims = body as JWTPayload;
    const exp = typeof claims.exp === 'number' ? claims.exp * 1000 : now;
    this.cache.set(key, {
      claims,
      until: Math.min(exp, now + (this.o.introspectionCacheSeconds ?? 30) * 1000),
    });
    return claims;
  }
}
