import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { MAX_ACCESS_TOKEN_TTL_SECONDS } from '@tessera/contracts';
import { Clock } from '../clock';
import { KeysService } from '../keys';
import { TenantsService, type Tenant } from '../tenants';

/** RFC 8693 §4.1: who acts for the subject, and who acted before them (the chain, outermost first). */
export interface ActorClaim {
  sub: string;
  act?: ActorClaim;
}

interface AccessTokenClaims {
  sub: string;
  clientId: string;
  aud: string;
  scopes: string[];
  ttlSeconds: number;
  sid?: string;
  /** The refresh-token family the token is minted from (user tokens): its `family_id` claim. */
  familyId?: string;
  /** `iat` from the database's clock (session tokens: see RedeemedFamily.issuedAt); else this instance's. */
  issuedAt?: number;
  /** RFC 9449 §6: the thumbprint of the DPoP key the token is bound to (`cnf.jkt`). */
  jkt?: string;
  /** A token obtained by exchange (RFC 8693): the acting client, and the chain before it. */
  act?: ActorClaim;
}

export interface MintedAccessToken {
  token: string;
  jti: string;
  exp: number;
  expiresIn: number;
}

/** RFC 9068 JWT access tokens, signed with the tenant's active key. */
@Injectable()
export class AccessTokens {
  constructor(
    private readonly keys: KeysService,
    private readonly tenants: TenantsService,
    private readonly clock: Clock,
  ) {}

  async mint(tenant: Tenant, c: AccessTokenClaims): Promise<MintedAccessToken> {
    const iat = c.issuedAt ?? this.clock.epochSeconds();
    // the one cap, whatever set the lifetime: a row written before the cap existed mints no longer
    const ttl = Math.min(c.ttlSeconds, MAX_ACCESS_TOKEN_TTL_SECONDS);
    const exp = iat + ttl;
    const jti = randomUUID();
    const payload: Record<string, unknown> = {
      iss: this.tenants.issuer(tenant),
      sub: c.sub,
      aud: c.aud,
      exp,
      iat,
      jti,
      client_id: c.clientId,
      scope: c.scopes.join(' '),
    };
    if (c.sid) payload.sid = c.sid;
    // a private claim (RFC 7519 §4.3): revoking the family cuts exactly the tokens naming it
    if (c.familyId) payload.family_id = c.familyId;
    if (c.jkt) payload.cnf = { jkt: c.jkt };
    if (c.act) payload.act = c.act;
    // RFC 9068 §2.1: typ at+jwt
    const token = await this.keys.sign(tenant.id, { typ: 'at+jwt' }, payload);
    return { token, jti, exp, expiresIn: ttl };
  }
}
