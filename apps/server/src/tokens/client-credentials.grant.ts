import { Injectable } from '@nestjs/common';
import { resourceIndicatorProblem } from '@tessera/contracts';
import { ApplicationsService, type Application } from '../applications';
import { Clock } from '../clock';
import { InvalidScope, InvalidTarget } from '../errors';
import type { Form } from '../http';
import { ResourceServersService, type ResourceAccess } from '../resource-servers';
import type { Tenant } from '../tenants';
import { AccessTokens } from './access-tokens';
import type { DpopKey } from './dpop';
import { narrowScopes, parseScope } from './scopes';
import type { TokenResponse } from './token-response';

/**
 * RFC 8707 §2: at most one resource per token here; each must be absolute without a fragment and
 * among the granted ones. Without one, the application's default resource, or its only one.
 */
function chooseResource(
  form: Form,
  granted: ResourceAccess[],
  defaultResourceServerId: string | null,
): ResourceAccess {
  const resources = form.all('resource');
  if (resources.length > 1)
    throw new InvalidTarget({
      description: 'Request one resource per token',
      detail: 'several resources',
    });
  if (resources.length === 1) {
    if (resourceIndicatorProblem(resources[0]))
      throw new InvalidTarget({ detail: 'malformed resource' });
    const hit = granted.find((g) => g.resourceServer.identifier === resources[0]);
    if (!hit) throw new InvalidTarget({ detail: 'resource not granted' });
    return hit;
  }
  const byDefault = granted.find((g) => g.resourceServer.id === defaultResourceServerId);
  if (byDefault) return byDefault;
  if (granted.length === 1) return granted[0];
  // RFC 9068 §3: no default and several candidates: refuse rather than guess
  throw new InvalidTarget({
    description: 'Name the resource (RFC 8707 resource parameter)',
    detail: granted.length ? 'ambiguous resource' : 'no resource granted',
  });
}

@Injectable()
export class ClientCredentialsGrant {
  constructor(
    private readonly resourceServers: ResourceServersService,
    private readonly applications: ApplicationsService,
    private readonly accessTokens: AccessTokens,
    private readonly clock: Clock,
  ) {}

  /**
   * RFC 6749 §4.4: the client acts on its own behalf; scopes are requested ∩ granted. With a DPoP
   * proof the token is bound to its key (RFC 9449 §5).
   */
  async issue(
    tenant: Tenant,
    app: Application,
    form: Form,
    dpop: DpopKey | null,
  ): Promise<TokenResponse> {
    const requested = parseScope(form.get('scope'));
    const granted = await this.resourceServers.granted(tenant.id, app.id, 'client_credentials');
    const target = chooseResource(form, granted, app.defaultResourceServerId);
    const scopes = narrowScopes(requested, target.scopes);
    if (requested && requested.length > 0 && scopes.length === 0)
      throw new InvalidScope({ detail: 'nothing requested is granted' });
    const ttl =
      target.resourceServer.accessTokenTtl ?? this.applications.policy(tenant, app).accessTokenTtl;
    // a cut of the client's tokens reaches what was issued until the end of its second (`iat` is
    // whole seconds): a token minted after it, in the same second, is stamped with the next one
    const now = this.clock.epochSeconds();
    const after = app.tokensIssuedAfter
      ? Math.floor(app.tokensIssuedAfter.getTime() / 1000) + 1
      : now;
    const at = await this.accessTokens.mint(tenant, {
      sub: app.clientId,
      clientId: app.clientId,
      aud: target.resourceServer.identifier,
      scopes,
      ttlSeconds: ttl,
      issuedAt: Math.max(now, after),
      jkt: dpop?.jkt,
    });
    return {
      access_token: at.token,
      token_type: dpop ? 'DPoP' : 'Bearer',
      expires_in: at.expiresIn,
      scope: scopes.join(' '),
    };
  }
}
