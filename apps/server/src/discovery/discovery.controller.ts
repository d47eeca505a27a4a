import { Controller, Get, Header, Param } from '@nestjs/common';
import { KeysService } from '../keys';
import { TenantsService, type Tenant } from '../tenants';

/**
 * OpenID Connect Discovery 1.0 and RFC 8414 metadata. Lists only what this server implements now.
 */
@Controller()
export class DiscoveryController {
  constructor(
    private readonly tenants: TenantsService,
    private readonly keys: KeysService,
  ) {}

  private metadata(tenant: Tenant) {
    const issuer = this.tenants.issuer(tenant);
    return {
      issuer,
      token_endpoint: `${issuer}/token`,
      jwks_uri: `${issuer}/jwks.json`,
      grant_types_supported: ['client_credentials'],
      response_types_supported: [],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      scopes_supported: [],
    };
  }

  @Get('t/:tenant/.well-known/openid-configuration')
  @Header('Cache-Control', 'public, max-age=60')
  async openid(@Param('tenant') slug: string) {
    return this.metadata(await this.tenants.forIssuer(slug));
  }

  /** RFC 8414 §3: the well-known segment goes between host and the issuer's path. */
  @Get('.well-known/oauth-authorization-server/t/:tenant')
  @Header('Cache-Control', 'public, max-age=60')
  async oauth(@Param('tenant') slug: string) {
    return this.metadata(await this.tenants.forIssuer(slug));
  }

  @Get('t/:tenant/jwks.json')
  @Header('Cache-Control', 'public, max-age=60')
  @Header('Content-Type', 'application/jwk-set+json')
  async jwks(@Param('tenant') slug: string) {
    const tenant = await this.tenants.forIssuer(slug);
    return this.keys.jwks(tenant.id);
  }
}
