import { Controller, Get, StreamableFile, UseGuards } from '@nestjs/common';
import { TesseraAuthGuard } from '@tessera/nest-guards';
import {
  auditExportQuerySchema,
  auditQuerySchema,
  auditViewSchema,
  deliveryQuerySchema,
  deliveryViewSchema,
  type AuditView,
  type DeliveryView,
} from '@tessera/contracts';
import { Readable } from 'node:stream';
import { z } from 'zod';
import { AuditService, type AuditFilters } from '../audit';
import { BackchannelOutbox } from '../revocation';
import type { Tenant } from '../tenants';
import { AdminTenantGuard, TenantParam } from './admin-auth.guard';
import { AdminQuery, AdminRoute } from './admin-route';
import { auditCsvHeader, auditCsvLine } from './audit-export';

@Controller('admin/api/tenants/:tenant')
@UseGuards(TesseraAuthGuard, AdminTenantGuard)
export class AdminSecurityController {
  constructor(
    private readonly audit: AuditService,
    private readonly deliveries: BackchannelOutbox,
  ) {}

  /**
   * Security events and administrative changes, newest first: filtered by type, actor, subject
   * (the target, user or application an event is about) and time; the actor and subject named.
   */
  @Get('audit')
  @AdminRoute({
    operationId: 'listAuditEvents',
    summary:
      'Audit events, newest first (?type=&actor=&subject=&from=&to=&before=&limit=), actor and subject named',
    scope: 'admin:audit:read',
    query: auditQuerySchema,
    response: z.array(auditViewSchema),
  })
  events(
    @TenantParam() tenant: Tenant,
    @AdminQuery() q: z.output<typeof auditQuerySchema>,
  ): Promise<AuditView[]> {
    return this.audit.list(tenant.id, {
      ...filtersOf(q),
      limit: q.limit,
      before: q.before ? new Date(q.before) : undefined,
    });
  }

  /** The filtered view as a file, newest first: JSON Lines (one event a line) or CSV. */
  @Get('audit/export')
  @AdminRoute({
    operationId: 'exportAuditEvents',
    summary:
      'Export the filtered audit log as JSON Lines or CSV (?format=jsonl|csv&type=&actor=&subject=&from=&to=), at most 10 000 events',
    scope: 'admin:audit:read',
    query: auditExportQuerySchema,
    produces: ['application/jsonl', 'text/csv'],
  })
  export(
    @TenantParam() tenant: Tenant,
    @AdminQuery() q: z.output<typeof auditExportQuerySchema>,
  ): StreamableFile {
    const events = this.audit.export(tenant.id, filtersOf(q));
    const isCsv = q.format === 'csv';
    async function* lines(): AsyncGenerator<string> {
      if (isCsv) yield auditCsvHeader();
      for await (const e of events) yield isCsv ? auditCsvLine(e) : `${JSON.stringify(e)}\n`;
    }
    const name = `audit-${tenant.slug}-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    return new StreamableFile(Readable.from(lines()), {
      type: isCsv ? 'text/csv; charset=utf-8' : 'application/jsonl; charset=utf-8',
      disposition: `attachment; filename="${name}.${isCsv ? 'csv' : 'jsonl'}"`,
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

function filtersOf(
  q: z.output<typeof auditExportQuerySchema> | z.output<typeof auditQuerySchema>,
): AuditFilters {
  return {
    type: q.type,
    actor: q.actor,
    subject: q.subject,
    from: q.from ? new Date(q.from) : undefined,
    to: q.to ? new Date(q.to) : undefined,
  };
}
