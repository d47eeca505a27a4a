import { Injectable } from '@nestjs/common';
import type { AuditChange, AuditParty, AuditView } from '@tessera/contracts';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { Metrics } from '../metrics';
import { AuditEvent } from './audit-event.entity';

/** Security events: what users, attackers and the server did. */
export type SecurityAuditType =
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
  | 'tenant_deleted'
  | 'token_exchanged'
  | 'token_exchange_refused';

/** Administrative changes: what an administrator did through the admin API, one per change. */
export const ADMIN_CHANGE_TYPES = [
  'admin.tenant_created',
  'admin.tenant_updated',
  'admin.tenant_deleted',
  'admin.tenant_admin_added',
  'admin.tenant_admin_removed',
  'admin.application_created',
  'admin.application_updated',
  'admin.application_deleted',
  'admin.application_secret_regenerated',
  'admin.application_tokens_revoked',
  'admin.resource_server_created',
  'admin.resource_server_replaced',
  'admin.resource_server_deleted',
  'admin.resource_server_credentials_issued',
  'admin.user_created',
  'admin.user_updated',
  'admin.user_deleted',
  'admin.user_permissions_set',
  'admin.user_signed_out',
  'admin.keys_rotated',
  'admin.key_withdrawn',
  'admin.session_revoked',
] as const;
export type AdminChangeType = (typeof ADMIN_CHANGE_TYPES)[number];

export type AuditType = SecurityAuditType | AdminChangeType;

export interface AuditInput {
  tenantId: string;
  type: AuditType;
  sessionId?: string | null;
  userId?: string | null;
  clientId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  /** An administrator: their subject, the tenant that issued their token, their email or client id. */
  actor?: { sub: string; tenantId: string; name: string | null } | null;
  target?: AuditParty | null;
  /** Ids, reasons, outcomes and changed fields only: never a token, secret or password. */
  detail?: Record<string, unknown>;
}

export interface AuditFilters {
  type?: string;
  actor?: string;
  subject?: string;
  from?: Date;
  to?: Date;
  before?: Date;
}

/** At most this many rows go into one export. */
export const AUDIT_EXPORT_LIMIT = 10_000;
const EXPORT_BATCH = 500;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface AuditRow {
  id: string;
  type: string;
  session_id: string | null;
  user_id: string | null;
  client_id: string | null;
  ip: string | null;
  user_agent: string | null;
  detail: Record<string, unknown> | string;
  created_at: Date | string;
  /** The time to the microsecond, for a keyset that skips nothing. */
  created_at_key: string;
  actor_sub: string | null;
  actor_name: string | null;
  actor_is_user: boolean;
  actor_tenant: string | null;
  target_kind: string | null;
  target_id: string | null;
  target_name: string | null;
  user_email: string | null;
  application_name: string | null;
}

// One query: the actor and the subject are named by joins, never by a query per row.
const LIST_SQL = `
  SELECT e.id, e.type, e.session_id, e.user_id, e.client_id, e.ip, e.user_agent, e.detail,
         e.created_at, e.created_at::text AS created_at_key, e.actor_sub, e.target_kind, e.target_id,
         COALESCE(au.email, e.actor_name) AS actor_name, au.id IS NOT NULL AS actor_is_user,
         at.slug AS actor_tenant,
         COALESCE(tu.email, ta.name, e.target_name) AS target_name,
         uu.email AS user_email, ua.name AS application_name
  FROM audit_events e
  LEFT JOIN tenants at ON at.id = e.actor_tenant_id
  LEFT JOIN users au ON au.tenant_id = e.actor_tenant_id AND au.id::text = e.actor_sub
  LEFT JOIN users tu ON e.target_kind = 'user' AND tu.tenant_id = e.tenant_id AND tu.id::text = e.target_id
  LEFT JOIN applications ta ON e.target_kind = 'application' AND ta.tenant_id = e.tenant_id AND ta.client_id = e.target_id
  LEFT JOIN users uu ON uu.tenant_id = e.tenant_id AND uu.id = e.user_id
  LEFT JOIN applications ua ON ua.tenant_id = e.tenant_id AND ua.client_id = e.client_id`;

/** The per-tenant audit log: security events and administrative changes. */
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
      actorSub: e.actor?.sub ?? null,
      actorTenantId: e.actor?.tenantId ?? null,
      actorName: e.actor?.name ?? null,
      targetKind: e.target?.kind ?? null,
      targetId: e.target?.id ?? null,
      targetName: e.target?.name ?? null,
      detail: (e.detail ?? {}) as never, // jsonb column; TypeORM's deep-partial type does not model it
    });
    if (!e.type.startsWith('admin.')) this.metrics.securityEvent(e.type);
  }

  /** Newest first, `limit` at most, with the actor and subject named. */
  async list(tenantId: string, f: AuditFilters & { limit: number }): Promise<AuditView[]> {
    const params: unknown[] = [tenantId];
    const where = ['e.tenant_id = $1', ...this.conditions(f, params)];
    params.push(f.limit);
    const rows: AuditRow[] = await this.dataSource.query(
      `${LIST_SQL} WHERE ${where.join(' AND ')} ORDER BY e.created_at DESC, e.id DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map(auditView);
  }

  /** The filtered view, newest first, in batches: at most AUDIT_EXPORT_LIMIT rows. */
  async *export(tenantId: string, f: AuditFilters): AsyncGenerator<AuditView> {
    let after: { createdAt: string; id: string } | undefined;
    for (let sent = 0; sent < AUDIT_EXPORT_LIMIT;) {
      const params: unknown[] = [tenantId];
      const where = ['e.tenant_id = $1', ...this.conditions(f, params)];
      if (after) {
        params.push(after.createdAt, after.id);
        where.push(
          `(e.created_at, e.id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`,
        );
      }
      params.push(Math.min(EXPORT_BATCH, AUDIT_EXPORT_LIMIT - sent));
      const rows: AuditRow[] = await this.dataSource.query(
        `${LIST_SQL} WHERE ${where.join(' AND ')} ORDER BY e.created_at DESC, e.id DESC LIMIT $${params.length}`,
        params,
      );
      for (const row of rows) yield auditView(row);
      sent += rows.length;
      if (rows.length < EXPORT_BATCH) return;
      const last = rows[rows.length - 1];
      after = { createdAt: last.created_at_key, id: last.id };
    }
  }

  private conditions(f: AuditFilters, params: unknown[]): string[] {
    const out: string[] = [];
    const add = (sql: (n: string) => string, value: unknown) => {
      params.push(value);
      out.push(sql(`$${params.length}`));
    };
    if (f.type) add((p) => `e.type = ${p}`, f.type);
    if (f.actor) add((p) => `e.actor_sub = ${p}`, f.actor);
    if (f.subject) {
      const s = f.subject;
      params.push(s);
      const p = `$${params.length}`;
      const byUser = UUID_RE.test(s) ? ` OR e.user_id = ${p}::uuid` : '';
      out.push(`(e.target_id = ${p} OR e.client_id = ${p}${byUser})`);
    }
    if (f.from) add((p) => `e.created_at >= ${p}`, f.from);
    // times come to the millisecond, the column holds microseconds: `to` takes its whole millisecond
    if (f.to) add((p) => `e.created_at < ${p}::timestamptz + interval '1 millisecond'`, f.to);
    if (f.before) add((p) => `e.created_at < ${p}`, f.before);
    return out;
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

function auditView(r: AuditRow): AuditView {
  const raw =
    typeof r.detail === 'string' ? (JSON.parse(r.detail) as Record<string, unknown>) : r.detail;
  const { changes, ...detail } = raw;
  const subject: AuditParty | null = r.target_id
    ? { kind: r.target_kind ?? 'unknown', id: r.target_id, name: r.target_name }
    : r.user_id
      ? { kind: 'user', id: r.user_id, name: r.user_email }
      : r.client_id
        ? { kind: 'application', id: r.client_id, name: r.application_name ?? r.client_id }
        : null;
  return {
    id: r.id,
    type: r.type,
    actor: r.actor_sub
      ? {
          kind: r.actor_is_user ? 'user' : 'application',
          id: r.actor_sub,
          name: r.actor_name,
          tenant: r.actor_tenant,
        }
      : null,
    subject,
    changes: Array.isArray(changes) ? (changes as AuditChange[]) : [],
    sessionId: r.session_id,
    userId: r.user_id,
    clientId: r.client_id,
    ip: r.ip,
    userAgent: r.user_agent,
    detail,
    createdAt: new Date(r.created_at).toISOString(),
  };
}
