import { Controller, Get, UseGuards } from '@nestjs/common';
import { TesseraAuthGuard } from '@tessera/nest-guards';
import {
  auditQuerySchema,
  auditViewSchema,
  deliveryQuerySchema,
  deliveryViewSchema,
  type AuditView,
  type DeliveryView,
} from '@tessera/contracts';
import { z } from 'zod';
import { AuditService } from '../audit';
import { BackchannelOutbox } from '../revocation';
import type { Tenant } from '../tenants';
import { AdminTenantGuard, TenantParam } from './admin-auth.guard';
import { AdminQuery, AdminRoute } from './admin-route';

@Controller('admin/api/tenants/:tenant')
@UseGuards(TesseraAuthGuard, AdminTenantGuard)
export class AdminSecurityController {
  constructor(
    private readonly audit: AuditService,
    private readonly deliveries: BackchannelOutbox,
  ) {}

  /** Security events: reuse detected, revocations, failed sign-ins; newest first. */
  @Get('audit')
  @AdminRoute({
    operationId: 'listAuditEvents',
    summary: 'Security events, newest first (?type=&before=&limit=)',
    scope: 'admin:audit:read',
    query: auditQuerySchema,
    response: z.array(auditViewSchema),
  })
  events(
    @TenantParam() tenant: Tenant,
    @AdminQuery() q: z.output<typeof auditQuerySchema>,
  ): Promise<AuditView[]> {
    return this.audit.list(tenant.id, {
      type: q.type,
      limit: q.limit,
      before: q.before ? new Date(q.before) : undefined,
    });
  }

  /** Back-channel logout deliveries: pending, delivered, failed (with the last error and next retry). */
  @Get('backchannel-deliveries')
  @AdminRoute({
    operationId: 'listDeliveries',
    summary: 'Back-channel logout deliveries (?status=&session=&limit=)',
    scope: 'admin:sessions:read',
    query: deliveryQuerySchema,
    response: z.array(deliveryViewSchema),
  })
  list(
    @TenantParam() tenant: Tenant,
    @AdminQuery() q: z.output<typeof deliveryQuerySchema>,
  ): Promise<DeliveryView[]> {
    return this.deliveries.list(tenant.id, {
      status: q.status,
      sessionId: q.session,
      limit: q.limit,
    });
  }
}
