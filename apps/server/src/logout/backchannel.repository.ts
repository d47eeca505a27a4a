import { Injectable } from '@nestjs/common';
import type { DeliveryView } from '@tessera/contracts';
import { DataSource } from 'typeorm';

export interface ClaimedDelivery {
  id: string;
  tenantId: string;
  sessionId: string;
  sub: string;
  attempts: number;
  clientId: string;
  uri: string;
}

/** The outbox's queries. Claims use FOR UPDATE SKIP LOCKED, so instances never send one row twice at once. */
@Injectable()
export class BackchannelRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Claims due rows by leasing them for 30 s (attempts + 1), in one short statement. */
  async claimDue(limit: number): Promise<ClaimedDelivery[]> {
    const result = await this.dataSource.query(
      `UPDATE backchannel_deliveries d SET next_attempt_at = now() + interval '30 seconds', attempts = d.attempts + 1
       FROM applications a
       WHERE d.id IN (SELECT id FROM backchannel_deliveries WHERE status = 'pending' AND next_attempt_at <= now()
                      ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
         AND a.id = d.application_id AND a.backchannel_logout_uri IS NOT NULL
       RETURNING d.id, d.tenant_id AS "tenantId", d.session_id AS "sessionId", d.sub, d.attempts, a.client_id AS "clientId", a.backchannel_logout_uri AS uri`,
      [limit],
    );
    return Array.isArray(result) && Array.isArray(result[0]) ? result[0] : [];
  }

  /** Logouts not yet sent (due or waiting for a retry): the outbox depth. */
  async pendingCount(): Promise<number> {
    const rows: Array<{ n: number }> = await this.dataSource.query(
      `SELECT count(*)::int AS n FROM backchannel_deliveries WHERE status = 'pending'`,
    );
    return rows[0].n;
  }

  async delivered(id: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE backchannel_deliveries SET status = 'delivered', delivered_at = now(), last_error = NULL WHERE id = $1`,
      [id],
    );
  }

  async failed(id: string, error: string, retryInSeconds: number | null): Promise<void> {
    await this.dataSource.query(
      `UPDATE backchannel_deliveries SET last_error = $2,
         status = CASE WHEN $3::int IS NULL THEN 'failed' ELSE 'pending' END,
         next_attempt_at = CASE WHEN $3::int IS NULL THEN next_attempt_at ELSE now() + $3::int * interval '1 second' END
       WHERE id = $1`,
      [id, error.slice(0, 300), retryInSeconds],
    );
  }

  async list(
    tenantId: string,
    f: { status?: string; sessionId?: string; limit: number },
  ): Promise<DeliveryView[]> {
    const params: unknown[] = [tenantId, f.limit];
    let where = 'd.tenant_id = $1';
    if (f.status) {
      params.push(f.status);
      where += ` AND d.status = $${params.length}`;
    }
    if (f.sessionId) {
      params.push(f.sessionId);
      where += ` AND d.session_id = $${params.length}::uuid`;
    }
    const rows = await this.dataSource.query(
      `SELECT d.id, a.client_id AS "clientId", d.session_id AS "sessionId", d.status, d.attempts, d.next_attempt_at AS "nextAttemptAt",
              d.last_error AS "lastError", d.created_at AS "createdAt", d.delivered_at AS "deliveredAt"
       FROM backchannel_deliveries d JOIN applications a ON a.id = d.application_id WHERE ${where} ORDER BY d.created_at DESC LIMIT $2`,
      params,
    );
    return rows.map((r: Record<string, unknown>) => ({
      ...r,
      nextAttemptAt: (r.nextAttemptAt as Date).toISOString(),
      createdAt: (r.createdAt as Date).toISOString(),
      deliveredAt: r.deliveredAt ? (r.deliveredAt as Date).toISOString() : null,
    }));
  }

  /** Sessions past their idle or absolute expiry and not yet ended; locked so one instance ends each. */
  expiredSessionsQuery(): string {
    return `SELECT id, tenant_id AS "tenantId" FROM sessions WHERE revoked_at IS NULL AND (idle_expires_at <= now() OR absolute_expires_at <= now())
            ORDER BY idle_expires_at LIMIT 100 FOR UPDATE SKIP LOCKED`;
  }
}
