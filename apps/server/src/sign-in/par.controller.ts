import { Controller, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import {
  InvalidRequest,
  InvalidScope,
  InvalidTarget,
  MethodNotAllowed,
  UnauthorizedClient,
  UnsupportedResponseType,
  type OAuthError,
} from '../errors';
import { noStore, parseForm, type HttpRequest, type HttpResponse } from '../http';
import { RateLimit } from '../rate-limit';
import { ResourceServersService } from '../resource-servers';
import { TenantsService } from '../tenants';
import { ClientAuthenticator } from '../tokens';
import {
  AuthorizationError,
  paramsOf,
  trustedRedirect,
  UntrustedRequest,
  validateRequest,
} from './authorization-request';
import { PUSHED_REQUEST_TTL_SECONDS, PushedRequests } from './pushed-requests';

/** RFC 9126 §2.3: the authorization endpoint's error, in the token endpoint's JSON shape. */
function asOAuthError(err: AuthorizationError): OAuthError {
  const o = { description: err.description, detail: `pushed request: ${err.error}` };
  switch (err.error) {
    case 'invalid_scope':
      return new InvalidScope(o);
    case 'invalid_target':
      return new InvalidTarget(o);
    case 'unsupported_response_type':
      return new UnsupportedResponseType(o);
    default:
      return new InvalidRequest(o);
  }
}

/**
 * RFC 9126 pushed authorization request endpoint: the client authenticates as at the token endpoint,
 * the request is checked as /authorize checks it, and the answer is a request_uri that /authorize
 * takes once, within its lifetime, from that client only.
 */
@Controller('t/:tenant/par')
export class PushedAuthorizationController {
  constructor(
    private readonly tenants: TenantsService,
    private readonly clients: ClientAuthenticator,
    private readonly resourceServers: ResourceServersService,
    private readonly pushed: PushedRequests,
  ) {}

  @Post()
  @HttpCode(201)
  @RateLimit('token')
  async push(
    @Param('tenant') slug: string,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ): Promise<{ request_uri: string; expires_in: number }> {
    noStore(res);
    const tenant = await this.tenants.forIssuer(slug);
    const form = parseForm(req, ['resource']);
    const app = await this.clients.authenticate(tenant, req, form);
    // the parameters as /authorize reads them (parseForm refused NULs and repeats already)
    const p = paramsOf(req.body as string);
    // RFC 9126 §2.1: a request_uri is what this endpoint issues, never what it takes
    if (p.has('request_uri'))
      throw new InvalidRequest({
        description: 'request_uri is not allowed in a pushed authorization request',
        detail: 'request_uri pushed',
      });
    // RFC 9126 §2.1: the request's client_id is the authenticated client (with Basic, the body's
    // client_id was compared already; with client_secret_post or none it is what authenticated)
    const clientId = form.get('client_id');
    if (clientId !== undefined && clientId !== app.clientId)
      throw new InvalidRequest({
        description: 'client_id does not match the authenticated client',
        detail: 'client_id mismatch',
      });
    p.delete('client_secret');
    p.set('client_id', [app.clientId]);
    if (!app.grantTypes.includes('authorization_code'))
      throw new UnauthorizedClient({
        description: 'The client does not use the authorization code flow',
        detail: `${app.clientId} lacks authorization_code`,
      });
    let trusted;
    try {
      trusted = trustedRedirect(p, app);
    } catch (err) {
      if (!(err instanceof UntrustedRequest)) throw err;
      throw new InvalidRequest({ description: err.message, detail: 'pushed redirect_uri' });
    }
    try {
      validateRequest(p, trusted, await this.resourceServers.granted(tenant.id, app.id, 'user'));
    } catch (err) {
      if (!(err instanceof AuthorizationError)) throw err;
      throw asOAuthError(err);
    }
    return {
      request_uri: await this.pushed.push(tenant.id, app.id, p),
      expires_in: PUSHED_REQUEST_TTL_SECONDS,
    };
  }

  @Get()
  wrongMethod(): never {
    throw new MethodNotAllowed('POST');
  }
}
