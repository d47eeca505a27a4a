import { Controller, Delete, Get, HttpCode, Param, UseGuards } from '@nestjs/common';
import { TesseraAuthGuard } from '@tessera/nest-guards';
import {
  revokeSessionSchema,
  sessionDetailViewSchema,
  sessionHistoryPageViewSchema,
  sessionHistoryQuerySchema,
  sessionPageViewSchema,
  sessionQuerySchema,
  type SessionDetailView,
  type SessionHistoryPageView,
  type SessionPageView,
} from '@tessera/contracts';
import type { z } from 'zod';
import { ApplicationsService } from '../applications';
import { NotFound } from '../errors';
import { isUuid } from '../http';
import { SessionsService } from '../sessions';
import type { Tenant } from '../tenants';
import { AdminTenantGuard, Caller, TenantParam, type AdminCaller } from './admin-auth.guard';
import { AdminBody, AdminQuery, AdminRoute } from './admin-route';

@Controller('admin/api/tenants/:tenant/sessions')
@UseGuards(TesseraAuthGuard, AdminTenantGuard)
export class AdminSessionsController {
  constructor(
    private readonly sessions: SessionsService,
    private readonly applications: ApplicationsService,
  ) {}

  /** Live sessions, most recently seen first; filter by user id and by application (client id). */
  @Get()
  @AdminRoute({
    operationId: 'listSessions',
    summary: 'Live sessions, last seen first (?user=&application=&limit=&cursor=)',
    scope: 'admin:sessions:read',
    query: sessionQuerySchema,
    response: sessionPageViewSchema,
    paging: { kind: 'body' },
  })
  async list(
    @TenantParam() tenant: Tenant,
    @AdminQuery() q: z.output<typeof sessionQuerySchema>,
  ): Promise<SessionPageView> {
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

  /**
   * Ended sessions, most recently ended first: how, when and by whom each ended, as long as the
   * retention job keeps them. Declared before `:id`, which would take `history` for an id.
   */
  @Get('history')
  @AdminRoute({
    operationId: 'listSessionHistory',
    summary:
      'Ended sessions, last ended first, with how and by whom (?user=&application=&reason=&from=&to=&limit=&cursor=)',
    scope: 'admin:sessions:read',
    query: sessionHistoryQuerySchema,
    response: sessionHistoryPageViewSchema,
    paging: { kind: 'body' },
  })
  async history(
    @TenantParam() tenant: Tenant,
    @AdminQuery() q: z.output<typeof sessionHistoryQuerySchema>,
  ): Promise<SessionHistoryPageView> {
    let applicationId: string | undefined;
    if (q.application) {
      const app = await this.applications.byClientId(tenant.id, q.application);
      if (!app) return { items: [], nextCursor: null, keptDays: this.sessions.historyDays };
      applicationId = app.id;
    }
    return this.sessions.history(tenant.id, {
      userId: q.user,
      applicationId,
      reason: q.reason,
      from: q.from ? new Date(q.from) : undefined,
      to: q.to ? new Date(q.to) : undefined,
      limit: q.limit,
      cursor: q.cursor,
    });
  }

  /** One session with its surfaces and each refresh-token family's lineage. */
  @Get(':id')
  @AdminRoute({
    operationId: 'getSession',
    summary: 'A session with its surfaces and refresh-token families',
    scope: 'admin:sessions:read',
    response: sessionDetailViewSchema,
  })
  get(@TenantParam() tenant: Tenant, @Param('id') id: string): Promise<SessionDetailView> {
    if (!isUuid(id)) throw new NotFound('Session');
    return this.sessions.detail(tenant.id, id);
  }

  /** Ends a session at once: its refresh-token families and access tokens die, its applications get back-channel logouts. */
  @Delete(':id')
  @HttpCode(204)
  @AdminRoute({
    operationId: 'revokeSession',
    summary: 'End a session now (its tokens die; back-channel logouts go out)',
    scope: 'admin:sessions:write',
    body: revokeSessionSchema,
    audit: { type: 'admin.session_revoked', target: 'session' },
  })
  async revoke(
    @TenantParam() tenant: Tenant,
    @Param('id') id: string,
    @AdminBody() { reason }: z.infer<typeof revokeSessionSchema>,
    @Caller() caller: AdminCaller,
  ): Promise<void> {
    if (!isUuid(id)) throw new NotFound('Session');
    await this.sessions.revokeByAdmin(tenant.id, id, { by: caller.sub, note: reason });
  }
}
