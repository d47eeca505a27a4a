import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit';
import { SessionsService } from '../sessions';

export interface HourCount {
  hour: Date;
  count: number;
}

/**
 * Read-only counts for the console's overview, each asked of the module that owns its table:
 * alive sessions and rotations of sessions, sign-ins of the audit log.
 */
@Injectable()
export class AdminStats {
  constructor(
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
  ) {}

  activeSessions(tenantId: string): Promise<number> {
    return this.sessions.countAlive(tenantId);
  }

  async signInsByHour(tenantId: string, since: Date): Promise<HourCount[]> {
    return hours(await this.audit.countByHour(tenantId, 'sign_in_succeeded', since));
  }

  async refreshesByHour(tenantId: string, since: Date): Promise<HourCount[]> {
    return hours(await this.sessions.rotationsByHour(tenantId, since));
  }
}

const hours = (rows: Array<{ hour: number; count: number }>): HourCount[] =>
  rows.map((r) => ({ hour: new Date(r.hour * 3_600_000), count: r.count }));
