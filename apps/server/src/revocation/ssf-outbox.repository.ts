import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { OUTBOX_CHANNEL, run } from '../database';
import { claimDue, markDelivered, markFailed, type InFlight, type OutboxTable } from './outbox';
import { NOTIFY } from './revocation.sql';

/** One SET waiting for its stream, as the sender needs it. */
export interface PendingSet {
  id: string;
  jti: string;
  tenantId: string;
  streamId: string;
  eventType: string;
  subject: Record<string, string>;
  detail: Record<string, unknown>;
  createdAt: Date;
  attempts: number;
}

/** A push SET claimed for sending: where it goes, with the receiver's sealed Authorization. */
export interface ClaimedSet extends PendingSet {
  audience: string;
  endpointUrl: string;
  authorizationHeader: Buffer | null;
  /** The endpoint's host, lower-cased: what the per-host bound counts. */
  host: string;
}

const SET_FIELDS = `e.id::text AS id, e.jti, e.tenant_id AS "tenantId", e.stream_id AS "streamId",
  e.event_type AS "eventType", e.subject, e.detail, e.created_at AS "createdAt", e.attempts`;

/** The outbox as its push claim reads it: each SET joined to its stream, if that is pushed to. */
const PUSH_OUTBOX: OutboxTable = {
  table: 'ssf_events',
  alias: 'e',
  target: 'ssf_streams s',
  join: 's.id = e.stream_id',
  uri: 's.endpoint_url',
  // a disabled application's streams get nothing pushed, not even what waited before it was disabled
  sendable: `s.delivery_method = 'urn:ietf:rfc:8935' AND s.status = 'enabled' AND s.endpoint_url IS NOT NULL
             AND s.application_id IN (SELECT id FROM applications WHERE NOT is_disabled)`,
  lease: 's.id = e.stream_id',
  returning: `${SET_FIELDS}, s.audience, s.endpoint_url AS "endpointUrl",
              s.authorization_header AS "authorizationHeader"`,
};

/** A sub that may be a user's id: anything else (a client id) names no user. */
const UUID = `'^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'`;

/**
 * The Shared Signals outbox's queries. Rows are written in the transaction that records the event,
 * one per stream of the tenant that is not disabled, delivers the event type, and either has no
 * subjects added or has added the event's subject (its user's `sub` or e-mail address).
 */
@Injectable()
export class SsfOutboxRepository {
  constructor(private readonly dataSource: DataSource) {}

  async enqueue(
    em: EntityManager,
    tenantId: string,
    eventType: string,
    subject: Record<string, string>,
    detail: Record<string, unknown>,
  ): Promise<void> {
    await em.query(
      `INSERT INTO ssf_events (jti, tenant_id, stream_id, event_type, subject, detail)
       SELECT gen_random_uuid(), s.tenant_id, s.id, $2, f.subject, $4::jsonb
       FROM ssf_streams s,
            (SELECT $3::jsonb || COALESCE((SELECT jsonb_build_object('email', lower(u.email)) FROM users u
               WHERE u.tenant_id = $1 AND $3::jsonb->>'sub' ~ ${UUID} AND u.id = ($3::jsonb->>'sub')::uuid), '{}') AS subject) f
       WHERE s.tenant_id = $1 AND s.status <> 'disabled' AND $2 = ANY (s.events_delivered)
         AND s.application_id IN (SELECT id FROM applications WHERE tenant_id = $1 AND NOT is_disabled)
         AND (NOT EXISTS (SELECT 1 FROM ssf_stream_subjects x WHERE x.stream_id = s.id)
              OR EXISTS (SELECT 1 FROM ssf_stream_subjects x WHERE x.stream_id = s.id
                           AND ((x.format = 'iss_sub' AND x.value = f.subject->>'sub')
                             OR (x.format = 'email' AND x.value = f.subject->>'email'))))`,
      [tenantId, eventType, JSON.stringify(subject), JSON.stringify(detail)],
    );
    await run(em, NOTIFY, [OUTBOX_CHANNEL, tenantId]);
  }

  /** One event for one stream whatever it delivers (a verification event, SSF 1.0 §8.1.4). */
  async enqueueFor(
    tenantId: string,
    streamId: string,
    eventType: string,
    subject: Record<string, string>,
    detail: Record<string, unknown>,
  ): Promise<void> {
    await this.dataSource.transaction(async (em) => {
      await em.query(
        `INSERT INTO ssf_events (jti, tenant_id, stream_id, event_type, subject, detail)
         VALUES (gen_random_uuid(), $1, $2, $3, $4::jsonb, $5::jsonb)`,
        [tenantId, streamId, eventType, JSON.stringify(subject), JSON.stringify(detail)],
      );
      await run(em, NOTIFY, [OUTBOX_CHANNEL, tenantId]);
    });
  }

  /**
   * RFC 8936 §2.4: acknowledgements first (only the stream's own, still pending), then the oldest
   * SETs still unacknowledged, at most `max` of them, and whether more wait.
   */
  async poll(
    streamId: string,
    o: { ack: string[]; errs: Array<{ jti: string; error: string }>; max: number },
  ): Promise<{ sets: PendingSet[]; more: boolean }> {
    return this.dataSource.transaction(async (em) => {
      if (o.ack.length)
        await em.query(
          `UPDATE ssf_events SET status = 'delivered', delivered_at = now()
           WHERE stream_id = $1 AND jti = ANY($2::uuid[]) AND status = 'pending'`,
          [streamId, o.ack],
        );
      for (const e of o.errs)
        await em.query(
          `UPDATE ssf_events SET status = 'failed', last_error = $3
           WHERE stream_id = $1 AND jti = $2::uuid AND status = 'pending'`,
          [streamId, e.jti, e.error.slice(0, 300)],
        );
      if (o.max === 0) return { sets: [], more: false };
      const rows: PendingSet[] = await em.query(
        `SELECT ${SET_FIELDS} FROM ssf_events e
         WHERE e.stream_id = $1 AND e.status = 'pending' ORDER BY e.id LIMIT $2`,
        [streamId, o.max + 1],
      );
      return { sets: rows.slice(0, o.max), more: rows.length > o.max };
    });
  }

  /**
   * Push SETs that are due, leased for 30 s (attempts + 1), of enabled push streams, within the
   * room each tenant and host has left (as the back-channel logout outbox is claimed).
   */
  claimPush(limit: number, inFlight: InFlight): Promise<ClaimedSet[]> {
    return claimDue(this.dataSource, PUSH_OUTBOX, limit, inFlight);
  }

  delivered(id: string): Promise<void> {
    return markDelivered(this.dataSource, PUSH_OUTBOX.table, id);
  }

  failed(id: string, error: string, retryInSeconds: number | null): Promise<void> {
    return markFailed(this.dataSource, PUSH_OUTBOX.table, id, error, retryInSeconds);
  }
}
