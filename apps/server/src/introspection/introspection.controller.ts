import { Controller, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { InvalidRequest } from '../errors';
import { noStore, parseForm, type HttpRequest, type HttpResponse } from '../http';
import { RateLimit } from '../rate-limit';
import { TenantsService } from '../tenants';
import { ClientAuthenticator } from '../tokens';
import { TokenInspector } from './token-inspector';

const INACTIVE = { active: false } as const;

/** RFC 7662 token introspection, for confidential applications and resource servers. */
@Controller('t/:tenant/introspect')
export class IntrospectionController {
  constructor(
    private readonly tenants: TenantsService,
    private readonly clients: ClientAuthenticator,
    private readonly inspector: TokenInspector,
  ) {}

  @Post()
  @HttpCode(200)
  @RateLimit('introspection')
  async introspect(
    @Param('tenant') slug: string,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ): Promise<Record<string, unknown>> {
    noStore(res);
    const tenant = await this.tenants.forIssuer(slug);
    const form = parseForm(req);
    const caller = await this.clients.authenticateCaller(tenant, req, form);
    const token = form.get('token');
    if (!token) throw new InvalidRequest({ description: 'token is required', detail: 'no token' });
    const hint = form.get('token_type_hint');
    // RFC 7662 §2.1: the hint only orders the search
    const order =
      hint === 'refresh_token'
        ? (['refresh', 'access'] as const)
        : (['access', 'refresh'] as const);
    for (const kind of order) {
      if (kind === 'access') {
        const at = await this.inspector.accessToken(tenant, token);
        if (!at) continue;
        const aud = Array.isArray(at.claims.aud) ? at.claims.aud : [at.claims.aud];
        // a resource server learns only about tokens meant for it (RFC 7662 §2.2, §4)
        if (caller.kind === 'resource-server' && !aud.includes(caller.resourceServer.identifier))
          return INACTIVE;
        const c = at.claims;
        return {
          active: true,
          scope: c.scope ?? '',
          client_id: c.client_id,
          sub: c.sub,
          aud: c.aud,
          exp: c.exp,
          iat: c.iat,
          iss: c.iss,
          jti: c.jti,
          ...(c.sid ? { sid: c.sid } : {}),
          // RFC 8693 §4.1: who acts for the subject (a token obtained by exchange)
          ...(c.act ? { act: c.act } : {}),
          // RFC 9449 §6.2: a bound token's key, for the resource server to check the proof against
          ...(typeof c.cnf?.jkt === 'string'
            ? { cnf: { jkt: c.cnf.jkt }, token_type: 'DPoP' }
            : { token_type: 'Bearer' }),
        };
      }
      // refresh tokens are for the authorization server and their own client only
      if (caller.kind !== 'application') continue;
      const rt = await this.inspector.refreshToken(tenant, token);
      if (!rt) continue;
      if (!rt.isActive || rt.clientId !== caller.application.clientId) return INACTIVE;
      const scope = [...new Set([...rt.scopes, ...rt.resources.flatMap((r) => r.scopes)])]
        .sort()
        .join(' ');
      return {
        active: true,
        scope,
        client_id: rt.clientId,
        sub: rt.userId,
        aud: rt.resources.map((r) => r.identifier),
        exp: rt.exp,
        iat: rt.iat,
        iss: this.tenants.issuer(tenant),
        jti: rt.id,
        sid: rt.sessionId,
        token_type: 'refresh_token',
      };
    }
    return INACTIVE;
  }
}
