import { Injectable } from '@nestjs/common';
import { ApplicationsService, type Application } from '../applications';
import { InvalidRequest } from '../errors';
import type { Form, HttpRequest } from '../http';
import { RefreshFamiliesService, type ClientContext } from '../sessions';
import type { Tenant } from '../tenants';
import type { DpopKey } from './dpop';
import type { TokenResponse } from './token-response';
import { ResourceServersService } from '../resource-servers';
import { selectFromSignIn, UserTokens, type Selection } from './user-tokens';

/**
 * RFC 9449 §5: a public client's refresh tokens are bound to its proof's key; a confidential
 * client's are not (it authenticates at every refresh), only its access tokens are.
 */
function familyKey(app: Application, dpop: DpopKey | null): string | null {
  return app.type === 'public' ? (dpop?.jkt ?? null) : null;
}

export function clientContext(req: HttpRequest): ClientContext {
  const ua = req.headers['user-agent'];
  return { ip: req.ip ?? null, userAgent: typeof ua === 'string' ? ua.slice(0, 500) : null };
}

/** The authorization_code and refresh_token grants (RFC 6749 §4.1.3, §6). */
@Injectable()
export class UserGrants {
  constructor(
    private readonly families: RefreshFamiliesService,
    private readonly applications: ApplicationsService,
    private readonly userTokens: UserTokens,
    private readonly resourceServers: ResourceServersService,
  ) {}

  async authorizationCode(
    tenant: Tenant,
    app: Application,
    form: Form,
    req: HttpRequest,
    dpop: DpopKey | null,
  ): Promise<TokenResponse> {
    const code = form.get('code');
    if (!code) throw new InvalidRequest({ description: 'code is required', detail: 'no code' });
    const policy = this.applications.policy(tenant, app);
    const noOffline = new Set(
      (await this.resourceServers.list(tenant.id))
        .filter((r) => !r.allowsOfflineAccess)
        .map((r) => r.id),
    );
    const { family, selection } = await this.families.redeemCode<Selection>(tenant.id, app, {
      code,
      redirectUri: form.get('redirect_uri'),
      codeVerifier: form.get('code_verifier'),
      policy,
      // a resource server may refuse offline access: such sign-ins get no refresh token
      withRefresh: (s) =>
        app.grantTypes.includes('refresh_token') &&
        !(s.resource && noOffline.has(s.resource.resourceServerId)),
      client: clientContext(req),
      select: (granted) => selectFromSignIn(form, granted, app.defaultResourceServerId),
      dpopJkt: familyKey(app, dpop),
    });
    return this.userTokens.respond(tenant, app, family, selection, policy.accessTokenTtl, {
      nonce: family.nonce,
      dpop,
    });
  }

  async refreshToken(
    tenant: Tenant,
    app: Application,
    form: Form,
    req: HttpRequest,
    dpop: DpopKey | null,
  ): Promise<TokenResponse> {
    const refreshToken = form.get('refresh_token');
    if (!refreshToken)
      throw new InvalidRequest({
        description: 'refresh_token is required',
        detail: 'no refresh_token',
      });
    const policy = this.applications.policy(tenant, app);
    const { family, selection } = await this.families.refresh(tenant.id, app, {
      refreshToken,
      policy,
      client: clientContext(req),
      select: (t) => selectFromSignIn(form, t, app.defaultResourceServerId),
      narrowsNothing: form.get('scope') === undefined && form.all('resource').length === 0,
      dpopJkt: familyKey(app, dpop),
    });
    return this.userTokens.respond(tenant, app, family, selection, policy.accessTokenTtl, {
      dpop,
    });
  }
}
