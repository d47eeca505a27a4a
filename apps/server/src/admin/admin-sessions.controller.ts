import { Body, Controller, Delete, Get, HttpCode, Param, Query, UseGuards } from '@nestjs/common';
import { TesseraAuthGuard } from '@tessera/nest-guards';
import {
  revokeSessionSchema,
  sessionQuerySchema,
  type SessionDetailView,
  type SessionPageView,
} from '@tessera/contracts';
import { ApplicationsService } from '../applications';
import { NotFound } from '../errors';
import { isUuid, parseBody } from '../http';
import { SessionsService } from '../sessions';
import type { Tenant } from '../tenants';
import {
  AdminTenantGuard,
  Caller,
  RequireScopes,
  TenantParam,
  type AdminCaller,
} from './admin-auth.guard';

@Controller('admin/api/tenants/:tenant/sessions')
@UseGuards(TesseraAuthGuard, AdminTenantGuard)
export class AdminSessionsController {
  constructor(
    private readonly sessions: SessionsService,
    private readonly applications: ApplicationsService,
  ) {}

  /** Live sessions, most recently seen first; filter by user id and by application (client id). */
  @Get()
  @RequireScopes('admin:sessions:read')
  async list(@TenantParam() tenant: Tenant, @Query() query: unknown): Promise<SessionPageView> {
    const q = parseBody(sessionQuerySchema, query);
    let applicationId: string | undefined;
    if (q.application) {
      const app = await this.applications.byClientId(tenant.id, q.application);
      if (!app) return { items: [], nextCursor: null };
      applicationId = app.id;
    }
    return this.sessions.list(tenant.id, {
      userId: q.user,
      applicationId,
      limit: q.limit,
      cursor: q.cursor,
    });
  }

  /** One session with its surfaces and each refresh-token family's lineage. */
  @Get(':id')
  @RequireScopes('admin:sessions:read')
  get(@TenantParam() tenant: Tenant, @Param('id') id: string): Promise<SessionDetailView> {
    if (!isUuid(id)) throw new NotFound('Session');
    return this.sessions.detail(tenant.id, id);
  }

  /** Ends a session at once: its refresh-token families and access tokens die, its applications get back-channel logouts. */
  @Delete(':id')
  @HttpCode(204)
  @RequireScopes('admin:sessions:write')
  async revoke(
    @TenantParam() tenant: Tenant,
    @Param('id') id: string,
    @Body() body: unknown,
    @Caller() caller: AdminCaller,
  ): Promise<void> {
    const { reason } = parseBody(revokeSessionSchema, body);
    if (!isUuid(id)) throw new NotFound('Session');
    await this.sessions.revokeByAdmin(tenant.id, id, { by: caller.sub, note: reason });
  }
}
