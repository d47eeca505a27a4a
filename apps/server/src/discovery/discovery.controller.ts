import { Controller, Get, Header, Inject, Param } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config';
import { KeysService } from '../keys';
import { TenantsService, type Tenant } from '../tenants';
import { DPOP_SIGNING_ALGS, OIDC_SCOPES, SUPPORTED_GRANTS } from '../tokens';

/**
 * OpenID Connect Discovery 1.0 and RFC 8414 metadata. Lists only what this server implements now.
 */
@Controller()
export class DiscoveryController {
  constructor(
    private readonly tenants: TenantsService,
    private readonly keys: KeysService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private metadata(tenant: Tenant) {
    const issuer = this.tenants.issuer(tenant);
    return {
      issuer,
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/token`,
      jwks_uri: `${issuer}/jwks.json`,
      introspection_endpoint: `${issuer}/introspect`,
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      revocation_endpoint: `${issuer}/revoke`,
      end_session_endpoint: `${issuer}/logout`,
      backchannel_logout_supported: true,
      backchannel_logout_session_supported: true,
      revocation_endpoint_auth_methods_supported: [
        'client_secret_basic',
        'client_secret_post',
        'none',
      ],
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: [...SUPPORTED_GRANTS],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      code_challenge_methods_supported: ['S256'],
      scopes_supported: [...OIDC_SCOPES],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: [tenant.signingAlg],
      claims_supported: [
        'iss',
        'sub',
        'aud',
        'exp',
        'iat',
        'auth_time',
        'nonce',
        'sid',
        'azp',
        'email',
        'email_verified',
      ],
      prompt_values_supported: ['none', 'login'],
      // RFC 9207: iss in every authorization response
      authorization_response_iss_parameter_supported: true,
      // RFC 9126 §5: required of every client only server-wide; an application may require it alone
      pushed_authorization_request_endpoint: `${issuer}/par`,
      require_pushed_authorization_requests: this.config.requirePar,
      // RFC 9449 §5.1: the proof algorithms the token endpoint accepts
      dpop_signing_alg_values_supported: [...DPOP_SIGNING_ALGS],
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
