import { Controller, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { TOKEN_EXCHANGE_GRANT } from '@tessera/contracts';
import {
  InvalidRequest,
  MethodNotAllowed,
  UnauthorizedClient,
  UnsupportedGrantType,
} from '../errors';
import { noStore, parseForm, type HttpRequest, type HttpResponse } from '../http';
import { RateLimit } from '../rate-limit';
import { TenantsService } from '../tenants';
import { ClientAuthenticator } from './client-auth';
import { ClientCredentialsGrant } from './client-credentials.grant';
import { DpopProofs } from './dpop';
import type { TokenResponse } from './token-response';
import { UserGrants } from './user-grants';
import { TokenExchangeGrant } from './token-exchange.grant';

export const SUPPORTED_GRANTS = [
  'authorization_code',
  'refresh_token',
  'client_credentials',
  TOKEN_EXCHANGE_GRANT,
] as const;

/** RFC 6749 §3.2 token endpoint. */
@Controller('t/:tenant/token')
export class TokenController {
  constructor(
    private readonly tenants: TenantsService,
    private readonly clients: ClientAuthenticator,
    private readonly clientCredentials: ClientCredentialsGrant,
    private readonly userGrants: UserGrants,
    private readonly dpop: DpopProofs,
    private readonly tokenExchange: TokenExchangeGrant,
  ) {}

  @Post()
  @HttpCode(200)
  @RateLimit('token')
  async token(
    @Param('tenant') slug: string,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ): Promise<TokenResponse> {
    noStore(res);
    const tenant = await this.tenants.forIssuer(slug);
    const form = parseForm(req, ['resource']);
    const grantType = form.get('grant_type');
    if (!grantType)
      throw new InvalidRequest({ description: 'grant_type is required', detail: 'no grant_type' });
    if (!(SUPPORTED_GRANTS as readonly string[]).includes(grantType))
      throw new UnsupportedGrantType({ detail: `grant_type ${grantType.slice(0, 40)}` });
    const app = await this.clients.authenticate(tenant, req, form);
    // RFC 9449 §8: every answer, refusals included, carries the nonce for the next proof
    if (app.dpopNonces) res.header('DPoP-Nonce', this.dpop.nonce(tenant, app));
    const dpop = await this.dpop.check(tenant, app, req);
    // token exchange checks the client itself: every refusal of an exchange is audited
    if (grantType === TOKEN_EXCHANGE_GRANT)
      return this.tokenExchange.issue(tenant, app, form, req, dpop);
    if (!app.grantTypes.includes(grantType))
      throw new UnauthorizedClient({ detail: `${app.clientId} lacks ${grantType}` });
    switch (grantType as Exclude<(typeof SUPPORTED_GRANTS)[number], typeof TOKEN_EXCHANGE_GRANT>) {
      case 'client_credentials':
        return this.clientCredentials.issue(tenant, app, form, dpop);
      case 'authorization_code':
        return this.userGrants.authorizationCode(tenant, app, form, req, dpop);
      case 'refresh_token':
        return this.userGrants.refreshToken(tenant, app, form, req, dpop);
    }
  }

  @Get()
  wrongMethod(): never {
    throw new MethodNotAllowed('POST');
  }
}
