import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export interface HourCount {
  hour: Date;
  count: number;
}

/**
 * Read-only counts for the console's overview. They read the sessions, refresh-token and audit
 * tables directly: aggregates no module's service offers, and nothing here writes.
 */
@Injectable()
export class AdminStatsRepository {
  constructor(private readonly dataSource: DataSource) {}

  async activeSessions(tenantId: string): Promise<number> {
    const [row] = await this.dataSource.query(
      `SELECT count(*)::int AS n FROM sessions
       WHERE tenant_id = $1 AND revoked_at IS NULL AND idle_expires_at > now() AND absolute_expires_at > now()`,
      [tenantId],
    );
    return row.n;
  }

  async signInsByHour(tenantId: string, since: Date): Promise<HourCount[]> {
    return this.byHour(
      `SELECT floor(extract(epoch FROM created_at) / 3600)::int AS bucket, count(*)::int AS count FROM audit_events
       WHERE tenant_id = $1 AND type = 'sign_in_succeeded' AND created_at >= $2 GROUP BY 1`,
      tenantId,
      since,
    );
  }

  /** Rotations: every refresh token after a family's first was issued by a refresh. */
  async refreshesByHour(tenantId: string, since: Date): Promise<HourCount[]> {
    return this.byHour(
      `SELECT floor(extract(epoch FROM created_at) / 3600)::int AS bucket, count(*)::int AS count FROM refresh_tokens
       WHERE tenant_id = $1 AND generation > 0 AND created_at >= $2 GROUP BY 1`,
      tenantId,
      since,
    );
  }

  private async byHour(sql: string, tenantId: string, since: Date): Promise<HourCount[]> {
    // hours since the epoch, not date_trunc: the database's time zone cannot shift the buckets
    const rows: Array<{ bucket: number; count: number }> = await this.dataSource.query(sql, [
      tenantId,
      since,
    ]);
    return rows.map((r) => ({ hour: new Date(r.bucket * 3_600_000), count: r.count }));
  }
}
