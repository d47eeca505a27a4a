import { Controller, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { retryOnConflict } from '../database';
import { InvalidRequest } from '../errors';
import { noStore, parseForm, type HttpRequest, type HttpResponse } from '../http';
import { RevocationService } from '../revocation';
import { RefreshFamiliesService } from '../sessions';
import { RateLimit } from '../rate-limit';
import { TenantsService } from '../tenants';
import { ClientAuthenticator } from '../tokens';
import { TokenInspector } from '../introspection';

/**
 * RFC 7009 token revocation. Unknown, already revoked, or another client's tokens all answer 200
 * and change nothing (no oracle: a deliberate reading of RFC 7009 §2.1). A storage failure answers 503, never 200.
 */
@Controller('t/:tenant/revoke')
export class RevokeController {
  constructor(
    private readonly tenants: TenantsService,
    private readonly clients: ClientAuthenticator,
    private readonly inspector: TokenInspector,
    private readonly families: RefreshFamiliesService,
    private readonly revocation: RevocationService,
    private readonly dataSource: DataSource,
  ) {}

  @Post()
  @HttpCode(200)
  @RateLimit('token')
  async revoke(
    @Param('tenant') slug: string,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ): Promise<void> {
    noStore(res);
    const tenant = await this.tenants.forIssuer(slug);
    const form = parseForm(req);
    const app = await this.clients.authenticate(tenant, req, form);
    const token = form.get('token');
    if (!token) throw new InvalidRequest({ description: 'token is required', detail: 'no token' });
    // §2.1: the hint is honoured for the order of the search, never trusted
    const order =
      form.get('token_type_hint') === 'access_token'
        ? (['access', 'refresh'] as const)
        : (['refresh', 'access'] as const);
    for (const kind of order) {
      if (kind === 'refresh') {
        const rt = await this.inspector.refreshToken(tenant, token);
        if (!rt) continue;
        if (rt.clientId === app.clientId)
          await this.families.revokeFamily(tenant.id, {
            familyId: rt.familyId,
            sid: rt.sessionId,
            sub: rt.userId,
            clientId: rt.clientId,
          });
        return;
      }
      const at = await this.inspector.accessToken(tenant, token);
      if (!at) continue;
      if (at.claims.client_id === app.clientId) {
        await retryOnConflict(() =>
          this.dataSource.transaction((em) =>
            this.revocation.accessTokenRevoked(em, tenant.id, {
              jti: at.claims.jti,
              sub: at.claims.sub,
              clientId: at.claims.client_id,
              exp: at.claims.exp,
            }),
          ),
        );
      }
      return;
    }
  }
}
