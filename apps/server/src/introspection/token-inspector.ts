import { Injectable } from '@nestjs/common';
import type { JWTPayload } from 'jose';
import { Clock } from '../clock';
import { InsufficientScope, InvalidToken, MissingToken } from '../errors';
import { KeysService } from '../keys';
import { RefreshFamiliesService, SessionsService, type RefreshTokenState } from '../sessions';
import { TenantsService, type Tenant } from '../tenants';

export interface ActiveAccessToken {
  kind: 'access_token';
  claims: {
    iss: string;
    sub: string;
    aud: string | string[];
    exp: number;
    iat: number;
    jti: string;
    client_id: string;
    scope?: string;
    sid?: string;
    /** RFC 9449 §6: the DPoP key the token is bound to. */
    cnf?: { jkt?: string };
    /** RFC 8693 §4.1, on a token obtained by exchange. */
    act?: Record<string, unknown>;
  };
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * What a presented token is and whether it is active right now: checked against every state that
 * can end it (RFC 7662 §4) — signature, expiry, its jti, family, session and subject revocations.
 */
@Injectable()
export class TokenInspector {
  constructor(
    private readonly keys: KeysService,
    private readonly tenants: TenantsService,
    private readonly sessions: SessionsService,
    private readonly families: RefreshFamiliesService,
    private readonly clock: Clock,
  ) {}

  /** A live access token of this tenant, or undefined. */
  async accessToken(tenant: Tenant, token: string): Promise<ActiveAccessToken | undefined> {
    if (!JWT_SHAPE.test(token)) return undefined;
    const signed = await this.keys.verifyOwnSigned(tenant.id, this.tenants.issuer(tenant), token, {
      typ: 'at+jwt',
      nowSeconds: this.clock.epochSeconds(),
    });
    const c = signed?.claims;
    if (
      !c ||
      typeof c.sub !== 'string' ||
      typeof c.jti !== 'string' ||
      typeof c.client_id !== 'string' ||
      typeof c.iat !== 'number' ||
      typeof c.exp !== 'number'
    )
      return undefined;
    if (await this.isRevoked(tenant.id, c, signed.kid)) return undefined;
    return { kind: 'access_token', claims: c as ActiveAccessToken['claims'] };
  }

  /**
   * RFC 6750 §2.1: the live access token of the Authorization header, meant for `audience` (RFC
   * 8707); no header is a bare challenge. A DPoP-bound token is refused: sent as Bearer it proves
   * nothing of its key (RFC 9449 §7.2). Tessera's own APIs (account, Shared Signals) take tokens so.
   */
  async bearerFor(
    tenant: Tenant,
    header: string | undefined,
    audience: string,
  ): Promise<ActiveAccessToken> {
    if (!header) throw new MissingToken();
    const m = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(header); // RFC 9110 §11.1: the scheme is case-insensitive
    const at = m ? await this.accessToken(tenant, m[1]) : undefined;
    if (!at || at.claims.cnf !== undefined || ![at.claims.aud].flat().includes(audience))
      throw new InvalidToken();
    return at;
  }

  /**
   * After a valid signature: its session ended or expired, or its jti or family revoked (one
   * statement: an introspection is one round trip to the database). A token naming its family
   * (`family_id`) is cut by that family's revocation alone; with its header's `kid`, a withdrawn
   * key's event cuts it too, whatever this instance's key cache still holds.
   */
  async isRevoked(tenantId: string, c: JWTPayload, kid?: string): Promise<boolean> {
    return !(await this.sessions.areClaimsLive(tenantId, c, kid));
  }

  /** A refresh token of this tenant (active or not), or undefined when unknown. */
  refreshToken(tenant: Tenant, token: string): Promise<RefreshTokenState | undefined> {
    if (token.length > 512) return Promise.resolve(undefined);
    return this.families.refreshTokenState(tenant.id, token);
  }
}

/** RFC 6750 §3.1: a token without the scope the call needs. */
export function requireScope(at: ActiveAccessToken, scope: string): void {
  if (!(at.claims.scope ?? '').split(' ').includes(scope)) throw new InsufficientScope(scope);
}
