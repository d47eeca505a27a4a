import { Injectable } from '@nestjs/common';
import type { DeliveryView } from '@tessera/contracts';
import { DataSource, type EntityManager } from 'typeorm';
import { OUTBOX_CHANNEL, run } from '../database';
import { claimDue, markDelivered, markFailed, type InFlight, type OutboxTable } from './outbox';
import { ENQUEUE_BACKCHANNEL, NOTIFY } from './revocation.sql';

export interface ClaimedDelivery {
  id: string;
  tenantId: string;
  sessionId: string;
  sub: string;
  attempts: number;
  clientId: string;
  uri: string;
  /** The URI's host, lower-cased: what the per-host bound counts. */
  host: string;
}

/** The outbox as its claim reads it: each row joined to its application's logout URI. */
const OUTBOX: OutboxTable = {
  table: 'backchannel_deliveries',
  alias: 'd',
  target: 'applications a',
  join: 'a.id = d.application_id',
  uri: 'a.backchannel_logout_uri',
  sendable: 'a.backchannel_logout_uri IS NOT NULL',
  lease: 'a.id = d.application_id AND a.backchannel_logout_uri IS NOT NULL',
  returning: `d.id, d.tenant_id AS "tenantId", d.session_id AS "sessionId", d.sub, d.attempts, a.client_id AS "clientId",
              a.backchannel_logout_uri AS uri`,
};

/**
 * The back-channel logout outbox's queries: rows are queued in the transaction that revokes and
 * claimed by logout's worker. Claims use FOR UPDATE SKIP LOCKED, so instances never send one row
 * twice at once.
 */
@Injectable()
export class BackchannelRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Outbox rows for every application of the session that has a back-channel logout URI, or for
   * one of them (its sign-in to the session ended, the session lives on).
   */
  async enqueue(em: EntityManager, sessionId: string, applicationId?: string): Promise<number> {
    // an INSERT without RETURNING answers [rows, affected count]
    const result: unknown = await em.query(ENQUEUE_BACKCHANNEL.text, [
      sessionId,
      applicationId ?? null,
    ]);
    await run(em, NOTIFY, [OUTBOX_CHANNEL, sessionId]);
    return Array.isArray(result) && typeof result[1] === 'number' ? result[1] : 0;
  }

  /** Claims due rows, fairly between tenants and hosts (outbox.ts, claimDue). */
  claimDue(limit: number, inFlight: InFlight): Promise<ClaimedDelivery[]> {
    return claimDue(this.dataSource, OUTBOX, limit, inFlight);
  }

  /** Logouts not yet sent (due or waiting for a retry): the outbox depth. */
  async pendingCount(): Promise<number> {
    const rows: Array<{ n: number }> = await this.dataSource.query(
      `SELECT count(*)::int AS n FROM backchannel_deliveries WHERE status = 'pending'`,
    );
    return rows[0].n;
  }

  /**
   * Logouts of the tenant given up on (`failed`) per hour they were queued, since `since`; `hour`
   * counts hours since the epoch. Bounded by the partial index on failed rows.
   */
  failedByHour(tenantId: string, since: Date): Promise<Array<{ hour: number; count: number }>> {
    return this.dataSource.query(
      `SELECT floor(extract(epoch FROM created_at) / 3600)::int AS hour, count(*)::int AS count
       FROM backchannel_deliveries WHERE tenant_id = $1 AND status = 'failed' AND created_at >= $2 GROUP BY 1`,
      [tenantId, since],
    );
  }

  delivered(id: string): Promise<void> {
    return markDelivered(this.dataSource, OUTBOX.table, id);
  }

  failed(id: string, error: string, retryInSeconds: number | null): Promise<void> {
    return markFailed(this.dataSource, OUTBOX.table, id, error, retryInSeconds);
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
}
