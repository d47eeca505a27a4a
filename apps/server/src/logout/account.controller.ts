import { Controller, Delete, Get, HttpCode, Param, Query, Req, Res } from '@nestjs/common';
import { InvalidRequest, InvalidToken } from '../errors';
import type { HttpRequest, HttpResponse } from '../http';
import { requireScope, TokenInspector, type ActiveAccessToken } from '../introspection';
import { SessionsService, type SessionView } from '../sessions';
import { TenantsService, type Tenant } from '../tenants';
import { ACCOUNT_API_AUDIENCE, ACCOUNT_SCOPES } from './account-api';

type AccountScope = (typeof ACCOUNT_SCOPES)[number]['name'];

/**
 * A signed-in user's own devices (ASVS 7.5.2): list them, end one, or end all the others. Only
 * tokens issued for the tenant's account API are taken (RFC 9068 §4: `aud` must name it), carrying
 * the scope the call needs: a resource server that received a user's token for itself cannot use
 * it here.
 */
@Controller('t/:tenant/account/sessions')
export class AccountController {
  constructor(
    private readonly tenants: TenantsService,
    private readonly inspector: TokenInspector,
    private readonly sessions: SessionsService,
  ) {}

  /** RFC 6750 §2.1: the header only; a missing token is a bare challenge. */
  private async caller(
    slug: string,
    req: HttpRequest,
    scope: AccountScope,
  ): Promise<{ tenant: Tenant; at: ActiveAccessToken; sid: string }> {
    const tenant = await this.tenants.forIssuer(slug);
    const at = await this.inspector.bearerFor(
      tenant,
      req.headers.authorization,
      ACCOUNT_API_AUDIENCE,
    );
    if (!at.claims.sid) throw new InvalidToken();
    requireScope(at, scope);
    return { tenant, at, sid: at.claims.sid };
  }

  @Get()
  async list(
    @Param('tenant') slug: string,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ): Promise<Array<SessionView & { isCurrent: boolean }>> {
    res.header('Cache-Control', 'no-store');
    const { tenant, at, sid } = await this.caller(slug, req, 'account:sessions:read');
    const page = await this.sessions.list(tenant.id, { userId: at.claims.sub, limit: 200 });
    return page.items.map((s) => ({ ...s, isCurrent: s.id === sid }));
  }

  /** Ends every session of the user but the current one (`?others=true`). */
  @Delete()
  @HttpCode(204)
  async endOthers(
    @Param('tenant') slug: string,
    @Query('others') others: string,
    @Req() req: HttpRequest,
  ): Promise<void> {
    const { tenant, at, sid } = await this.caller(slug, req, 'account:sessions:write');
    if (others !== 'true')
      throw new InvalidRequest({ description: 'Use ?others=true to end every other session' });
    await this.sessions.endOthersOwn(tenant.id, at.claims.sub, sid);
  }

  /**
   * Ends one of the user's sessions; another user's session is not found: 404 as an RFC 9457
   * problem (`code: not_found`), the token being good (RFC 6750 has no code for a missing resource).
   */
  @Delete(':id')
  @HttpCode(204)
  async end(
    @Param('tenant') slug: string,
    @Param('id') id: string,
    @Req() req: HttpRequest,
  ): Promise<void> {
    const { tenant, at } = await this.caller(slug, req, 'account:sessions:write');
    await this.sessions.endOwn(tenant.id, at.claims.sub, id);
  }
}
