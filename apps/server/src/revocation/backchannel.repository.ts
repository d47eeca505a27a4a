import { Injectable } from '@nestjs/common';
import type { DeliveryView } from '@tessera/contracts';
import { DataSource, type EntityManager } from 'typeorm';
import { OUTBOX_CHANNEL, run } from '../database';
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

/** What this instance is sending already, and how much of it each tenant and host may have. */
export interface InFlight {
  byTenant: ReadonlyMap<string, number>;
  byHost: ReadonlyMap<string, number>;
  perTenant: number;
  perHost: number;
}

/** The host of a back-channel logout URI in SQL (registration refuses user information). */
const HOST_OF_URI = (uri: string) =>
  `lower(substring(${uri} from '^[^:]+://([[][^]]*[]]|[^/?#:]*)'))`;

/** How many due rows one claim looks at, oldest first, once the full tenants and hosts are left out. */
const CLAIM_WINDOW = 1000;

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

  /**
   * Claims due rows by leasing them for 30 s (attempts + 1), in one short statement, fairly: a
   * tenant or a host gets no more than the room it has left (what is in flight counts), and tenants
   * take turns (each one's oldest first), so one whose relying party hangs cannot hold the others'
   * logouts back.
   */
  async claimDue(limit: number, inFlight: InFlight): Promise<ClaimedDelivery[]> {
    const result = await this.dataSource.query(
      `WITH busy_tenants AS (SELECT * FROM unnest($2::uuid[], $3::int[]) AS b (tenant_id, n)),
            busy_hosts AS (SELECT * FROM unnest($4::text[], $5::int[]) AS b (host, n)),
            due AS (
              SELECT d.id, d.tenant_id, d.next_attempt_at, ${HOST_OF_URI('a.backchannel_logout_uri')} AS host
              FROM backchannel_deliveries d JOIN applications a ON a.id = d.application_id
              WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND a.backchannel_logout_uri IS NOT NULL
                AND d.tenant_id NOT IN (SELECT tenant_id FROM busy_tenants WHERE n >= $6)
                AND ${HOST_OF_URI('a.backchannel_logout_uri')} NOT IN (SELECT host FROM busy_hosts WHERE n >= $7)
              ORDER BY d.next_attempt_at LIMIT ${CLAIM_WINDOW}),
            ranked AS (
              SELECT due.id, due.next_attempt_at,
                     coalesce(bt.n, 0) + row_number() OVER (PARTITION BY due.tenant_id ORDER BY due.next_attempt_at) AS tenant_rank,
                     coalesce(bh.n, 0) + row_number() OVER (PARTITION BY due.host ORDER BY due.next_attempt_at) AS host_rank
              FROM due LEFT JOIN busy_tenants bt ON bt.tenant_id = due.tenant_id LEFT JOIN busy_hosts bh ON bh.host = due.host),
            picked AS (
              SELECT id FROM ranked WHERE tenant_rank <= $6 AND host_rank <= $7
              ORDER BY tenant_rank, next_attempt_at LIMIT $1)
       UPDATE backchannel_deliveries d SET next_attempt_at = now() + interval '30 seconds', attempts = d.attempts + 1
       FROM applications a
       WHERE d.id IN (SELECT id FROM backchannel_deliveries WHERE id IN (SELECT id FROM picked)
                        AND status = 'pending' AND next_attempt_at <= now() FOR UPDATE SKIP LOCKED)
         AND a.id = d.application_id AND a.backchannel_logout_uri IS NOT NULL
       RETURNING d.id, d.tenant_id AS "tenantId", d.session_id AS "sessionId", d.sub, d.attempts, a.client_id AS "clientId",
                 a.backchannel_logout_uri AS uri, ${HOST_OF_URI('a.backchannel_logout_uri')} AS host`,
      [
        limit,
        [...inFlight.byTenant.keys()],
        [...inFlight.byTenant.values()],
        [...inFlight.byHost.keys()],
        [...inFlight.byHost.values()],
        inFlight.perTenant,
        inFlight.perHost,
      ],
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
}
