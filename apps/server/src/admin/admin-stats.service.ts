import { Injectable } from '@nestjs/common';
import type { OverviewSignal } from '@tessera/contracts';
import { AuditService, type AuditType } from '../audit';
import { BackchannelOutbox } from '../revocation';
import { SessionsService } from '../sessions';

export interface HourCount {
  hour: Date;
  count: number;
}

/** The audit event each signal counts; back-channel failures are outbox rows, not audit events. */
export const SIGNAL_AUDIT_TYPES = {
  reuse: 'refresh_token_reuse',
  failedSignIns: 'sign_in_failed',
  throttledSignIns: 'sign_in_throttled',
  revokedSessions: 'session_revoked',
  revokedFamilies: 'family_revoked',
} as const satisfies Partial<Record<OverviewSignal, AuditType>>;

/**
 * Read-only counts for the console's overview, each asked of the module that owns its table:
 * alive sessions and rotations of sessions, sign-ins and security events of the audit log, failed
 * back-channel logouts of the outbox.
 */
@Injectable()
export class AdminStats {
  constructor(
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
    private readonly outbox: BackchannelOutbox,
  ) {}

  activeSessions(tenantId: string): Promise<number> {
    return this.sessions.countAlive(tenantId);
  }

  async refreshesByHour(tenantId: string, since: Date): Promise<HourCount[]> {
    return hours(await this.sessions.rotationsByHour(tenantId, since));
  }

  /** Sign-ins and every audited signal per hour since `since`, in one query of the audit log. */
  async auditByHour(
    tenantId: string,
    since: Date,
  ): Promise<Map<'signIns' | keyof typeof SIGNAL_AUDIT_TYPES, HourCount[]>> {
    const byType = new Map<string, 'signIns' | keyof typeof SIGNAL_AUDIT_TYPES>([
      ['sign_in_succeeded', 'signIns'],
      ...Object.entries(SIGNAL_AUDIT_TYPES).map(
        ([signal, type]) => [type, signal as keyof typeof SIGNAL_AUDIT_TYPES] as const,
      ),
    ]);
    const rows = await this.audit.countByHour(tenantId, [...byType.keys()] as AuditType[], since);
    const out = new Map([...byType.values()].map((k) => [k, [] as HourCount[]]));
    for (const r of rows) out.get(byType.get(r.type)!)!.push(...hours([r]));
    return out;
  }

  async backchannelFailuresByHour(tenantId: string, since: Date): Promise<HourCount[]> {
    return hours(await this.outbox.failedByHour(tenantId, since));
  }
}

const hours = (rows: Array<{ hour: number; count: number }>): HourCount[] =>
  rows.map((r) => ({ hour: new Date(r.hour * 3_600_000), count: r.count }));
