import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { TesseraAuthGuard } from '@tessera/nest-guards';
import {
  auditQuerySchema,
  deliveryQuerySchema,
  type AuditView,
  type DeliveryView,
} from '@tessera/contracts';
import { AuditService } from '../audit';
import { parseBody } from '../http';
import { BackchannelOutbox } from '../revocation';
import type { Tenant } from '../tenants';
import { AdminTenantGuard, RequireScopes, TenantParam } from './admin-auth.guard';

@Controller('admin/api/tenants/:tenant')
@UseGuards(TesseraAuthGuard, AdminTenantGuard)
export class AdminSecurityController {
  constructor(
    private readonly audit: AuditService,
    private readonly deliveries: BackchannelOutbox,
  ) {}

  /** Security events: reuse detected, revocations, failed sign-ins; newest first. */
  @Get('audit')
  @RequireScopes('admin:audit:read')
  events(@TenantParam() tenant: Tenant, @Query() query: unknown): Promise<AuditView[]> {
    const q = parseBody(auditQuerySchema, query);
    return this.audit.list(tenant.id, {
      type: q.type,
      limit: q.limit,
      before: q.before ? new Date(q.before) : undefined,
    });
  }

  /** Back-channel logout deliveries: pending, delivered, failed (with the last error and next retry). */
  @Get('backchannel-deliveries')
  @RequireScopes('admin:sessions:read')
  list(@TenantParam() tenant: Tenant, @Query() query: unknown): Promise<DeliveryView[]> {
    const q = parseBody(deliveryQuerySchema, query);
    return this.deliveries.list(tenant.id, {
      status: q.status,
      sessionId: q.session,
      limit: q.limit,
    });
  }
}
