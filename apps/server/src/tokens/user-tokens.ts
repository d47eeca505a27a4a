import { Injectable } from '@nestjs/common';
import { resourceIndicatorProblem } from '@tessera/contracts';
import type { Application } from '../applications';
import { Clock } from '../clock';
import { InvalidScope, InvalidTarget, type OAuthError } from '../errors';
import type { Form } from '../http';
import { KeysService } from '../keys';
import type { FamilyResource, RedeemedFamily } from '../sessions';
import { TenantsService, type Tenant } from '../tenants';
import { UsersService } from '../users';
import { ResourceServersService } from '../resource-servers';
import { AccessTokens } from './access-tokens';
import type { DpopKey } from './dpop';
import { parseScope } from './scopes';
import type { TokenResponse } from './token-response';

/** Scopes that concern the user's identity (OpenID Connect), not a resource server. */
export const OIDC_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access']);
/** A signing key stays published at least this long after it last signed (KeysService.rotate). */
export const ID_TOKEN_TTL_SECONDS = 600;

/** The audience and scopes of one access token minted from what a sign-in was granted. */
export interface Selection {
  resource: FamilyResource | null;
  scopes: string[];
}

/**
 * RFC 8707 §2.2 on the code and refresh grants: one resource per access token, among those the
 * sign-in granted; scopes may narrow (down-scoping), never widen (RFC 6749 §6).
 */
export function selectFromSignIn(
  form: Form,
  granted: { resources: FamilyResource[]; scopes: string[] },
  defaultResourceServerId: string | null,
): Selection | OAuthError {
  let requested: string[] | undefined;
  try {
    requested = parseScope(form.get('scope'));
  } catch (err) {
    return err as OAuthError;
  }
  const resources = form.all('resource');
  let resource: FamilyResource | null;
  if (resources.length > 1)
    return new InvalidTarget({
      description: 'Request one resource per token',
      detail: 'several resources',
    });
  if (resources.length === 1) {
    if (resourceIndicatorProblem(resources[0]))
      return new InvalidTarget({ detail: 'malformed resource' });
    const hit = granted.resources.find((r) => r.identifier === resources[0]);
    if (!hit) return new InvalidTarget({ detail: 'resource not granted at sign-in' });
    resource = hit;
  } else if (granted.resources.length <= 1) {
    resource = granted.resources[0] ?? null;
  } else {
    resource =
      granted.resources.find((r) => r.resourceServerId === defaultResourceServerId) ?? null;
    if (!resource)
      return new InvalidTarget({
        description: 'Name the resource (RFC 8707 resource parameter)',
        detail: 'ambiguous resource',
      });
  }
  const available = new Set([...(resource?.scopes ?? []), ...granted.scopes]);
  if (requested?.some((s) => !available.has(s)))
    return new InvalidScope({
      description: 'A requested scope exceeds the grant',
      detail: 'scope beyond grant',
    });
  const resourceScopes = resource?.scopes ?? [];
  return {
    resource,
    scopes: requested
      ? resourceScopes.filter((s) => requested.includes(s)).sort()
      : [...resourceScopes].sort(),
  };
}

@Injectable()
export class UserTokens {
  constructor(
    private readonly accessTokens: AccessTokens,
    private readonly keys: KeysService,
    private readonly tenants: TenantsService,
    private readonly users: UsersService,
    private readonly clock: Clock,
    private readonly resourceServers: ResourceServersService,
  ) {}

  /** The token response of a user grant: an access token bound to the selected resource, the refresh token, an ID token with openid. */
  async respond(
    tenant: Tenant,
    app: Application,
    family: RedeemedFamily,
    selection: Selection,
    accessTtl: number,
    o: { nonce?: string | null; dpop: DpopKey | null },
  ): Promise<TokenResponse> {
    // permissions are evaluated at every mint: a change applies at the next refresh
    let scopes = selection.scopes;
    let ttl = accessTtl;
    if (selection.resource) {
      const now = await this.resourceServers.currentUserAccess(
        tenant.id,
        app.id,
        family.userId,
        selection.resource.resourceServerId,
        family.permission,
      );
      scopes = scopes.filter((s) => now.scopes.has(s));
      ttl = now.accessTokenTtl ?? accessTtl;
    }
    const at = await this.accessTokens.mint(tenant, {
      sub: family.userId,
      clientId: app.clientId,
      // no resource granted: the client itself is the audience (its own back end)
      aud: selection.resource?.identifier ?? app.clientId,
      scopes,
      ttlSeconds: ttl,
      sid: family.sessionId,
      familyId: family.familyId,
      issuedAt: family.issuedAt,
      jkt: o.dpop?.jkt,
    });
    const response: TokenResponse = {
      access_token: at.token,
      token_type: o.dpop ? 'DPoP' : 'Bearer',
      expires_in: at.expiresIn,
      scope: scopes.join(' '),
    };
    if (family.refreshToken) response.refresh_token = family.refreshToken;
    if (family.scopes.includes('openid'))
      response.id_token = await this.idToken(tenant, app, family, o.nonce ?? null);
    return response;
  }

  /** OpenID Connect Core §2 / §3.1.3.6. */
  private async idToken(
    tenant: Tenant,
    app: Application,
    family: RedeemedFamily,
    nonce: string | null,
  ): Promise<string> {
    const iat = this.clock.epochSeconds();
    const claims: Record<string, unknown> = {
      iss: this.tenants.issuer(tenant),
      sub: family.userId,
      aud: app.clientId,
      azp: app.clientId,
      exp: iat + ID_TOKEN_TTL_SECONDS,
      iat,
      auth_time: Math.floor(new Date(family.authTime).getTime() / 1000),
      sid: family.sessionId,
    };
    if (nonce) claims.nonce = nonce;
    if (family.scopes.includes('email')) {
      const user = await this.users.byId(tenant.id, family.userId);
      if (user) {
        claims.email = user.email;
        claims.email_verified = false;
      }
    }
    return this.keys.sign(tenant.id, { typ: 'JWT' }, claims);
  }
}
