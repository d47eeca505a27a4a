import { Injectable } from '@nestjs/common';
import type { AuditView } from '@tessera/contracts';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { Metrics } from '../metrics';
import { AuditEvent } from './audit-event.entity';

export type AuditType =
  | 'sign_in_succeeded'
  | 'sign_in_failed'
  | 'sign_in_throttled'
  | 'refresh_token_reuse'
  | 'code_reuse'
  | 'session_revoked'
  | 'family_revoked'
  | 'user_disabled'
  | 'key_withdrawn'
  | 'user_deleted'
  | 'application_disabled'
  | 'application_deleted'
  | 'application_tokens_revoked'
  | 'resource_server_deleted'
  | 'tenant_deleted';

export interface AuditInput {
  tenantId: string;
  type: AuditType;
  sessionId?: string | null;
  userId?: string | null;
  clientId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  /** Ids, reasons and outcomes only: never a token, secret or password. */
  detail?: Record<string, unknown>;
}

/** The per-tenant security log (reuse detected, revocations, failed sign-ins). */
@Injectable()
export class AuditService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly metrics: Metrics,
  ) {}

  async record(em: EntityManager | undefined, e: AuditInput): Promise<void> {
    await (em ?? this.dataSource.manager).getRepository(AuditEvent).insert({
      id: randomUUID(),
      tenantId: e.tenantId,
      type: e.type,
      sessionId: e.sessionId ?? null,
      userId: e.userId ?? null,
      clientId: e.clientId ?? null,
      ip: e.ip ?? null,
      userAgent: e.userAgent?.slice(0, 500) ?? null,
      detail: (e.detail ?? {}) as never, // jsonb column; TypeORM's deep-partial type does not model it
    });
    this.metrics.securityEvent(e.type);
  }

  async list(
    tenantId: string,
    f: { type?: string; limit: number; before?: Date },
  ): Promise<AuditView[]> {
    const qb = this.dataSource
      .getRepository(AuditEvent)
      .createQueryBuilder('e')
      .where('e.tenant_id = :tenantId', { tenantId })
      .orderBy('e.created_at', 'DESC')
      .limit(f.limit);
    if (f.type) qb.andWhere('e.type = :type', { type: f.type });
    if (f.before) qb.andWhere('e.created_at < :before', { before: f.before });
    return (await qb.getMany()).map((e) => ({
      id: e.id,
      type: e.type,
      sessionId: e.sessionId,
      userId: e.userId,
      clientId: e.clientId,
      ip: e.ip,
      userAgent: e.userAgent,
      detail: e.detail,
      createdAt: e.createdAt.toISOString(),
    }));
  }

  /**
   * Events of the given types per type and hour since `since`; `hour` counts hours since the epoch
   * (no time zone). Bounded by the tenant's (tenant_id, created_at) index.
   */
  countByHour(
    tenantId: string,
    types: readonly AuditType[],
    since: Date,
  ): Promise<Array<{ type: AuditType; hour: number; count: number }>> {
    return this.dataSource.query(
      `SELECT type, floor(extract(epoch FROM created_at) / 3600)::int AS hour, count(*)::int AS count
       FROM audit_events WHERE tenant_id = $1 AND created_at >= $3 AND type = ANY($2::text[]) GROUP BY 1, 2`,
      [tenantId, types, since],
    );
  }
}
