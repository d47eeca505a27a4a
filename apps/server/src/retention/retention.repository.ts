import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { MAX_ACCESS_TOKEN_TTL_SECONDS } from '@tessera/contracts';
import { EVENT_MARGIN_SECONDS, longestAccessTokenSql } from '../revocation';

/** The tables the job deletes from (the label of tessera_retention_rows_pruned_total). */
export type PrunedTable =
  | 'sessions'
  | 'session_surfaces'
  | 'refresh_token_families'
  | 'refresh_tokens'
  | 'authorization_codes'
  | 'revocation_events'
  | 'backchannel_deliveries'
  | 'ssf_events'
  | 'rate_limit_counters'
  | 'audit_events'
  | 'tenants'
  | 'pushed_authorization_requests'
  | 'dpop_proofs';

export type PruneCounts = Partial<Record<PrunedTable, number>>;

/** A batch's outcome: what it deleted, or `busy` when another instance is deleting right now. */
export type BatchOutcome = { kind: 'done'; counts: PruneCounts; full: boolean } | { kind: 'busy' };

/**
 * How a session or a family ended: revoked, or past its absolute expiry. One column per query, so
 * each batch is a plain index range scan that stops at its LIMIT; an OR of both would build a
 * bitmap of every match for every batch.
 */
type EndedBy = 'absolute_expires_at' | 'revoked_at';

/** A redeemed or expired authorization code is kept this long, so a replay is still recognised. */
const CODE_KEPT_SECONDS = 86_400;
/**
 * A Shared Signals event its receiver never acknowledged (a poll stream no longer polled, a push
 * endpoint that never accepted) is kept this long: RFC 8936 §2.4 lets the transmitter give up.
 */
const SSF_UNACKNOWLEDGED_KEPT_SECONDS = 7 * 86_400;
/** Rate-limit windows are at most a day (the contracts' rule schema). */
const COUNTER_KEPT_SECONDS = 86_400;

const SECONDS = `* interval '1 second'`;

/**
 * The retention job's deletes, each a batch in its own short transaction. A batch first takes a
 * transaction-scoped advisory lock without waiting (safe behind a transaction-mode pooler: nothing
 * outlives the transaction); when another instance holds it, the batch deletes nothing and says
 * `busy`. Rows are claimed `FOR UPDATE SKIP LOCKED`, so a batch never waits on a row a request is
 * using, and never takes a table lock. The one place rows are deleted by age.
 */
@Injectable()
export class RetentionRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Runs one batch; it is full when it deleted `size` rows of `table`: there may be more. */
  private async batch(
    table: PrunedTable,
    size: number,
    work: (em: EntityManager) => Promise<PruneCounts>,
  ) {
    return this.dataSource.transaction(async (em): Promise<BatchOutcome> => {
      const [{ ok }] = await em.query(
        `SELECT pg_try_advisory_xact_lock(hashtext('tessera:retention')) AS ok`,
      );
      if (!ok) return { kind: 'busy' };
      const counts = await work(em);
      return { kind: 'done', counts, full: (counts[table] ?? 0) >= size };
    });
  }

  /**
   * Sessions that ended (revoked, or past their absolute expiry) more than `keepSeconds` ago, with
   * everything that hangs off them: surfaces, codes, refresh-token families and every refresh token
   * of those families, consumed ones included. Children go first, explicitly, so each table's count
   * is known (the foreign keys would cascade the same rows). An idle-expired session goes once its
   * absolute expiry is as old: so the column a refresh slides (idle_expires_at) stays unindexed,
   * and the refresh's update of the session stays heap-only (HOT).
   */
  endedSessions(by: EndedBy, keepSeconds: number, size: number): Promise<BatchOutcome> {
    return this.batch('sessions', size, async (em) => {
      const ids: string[] = (
        await em.query(
          `SELECT id FROM sessions WHERE ${by} < now() - $1::float8 ${SECONDS}
           LIMIT $2 FOR UPDATE SKIP LOCKED`,
          [keepSeconds, size],
        )
      ).map((r: { id: string }) => r.id);
      if (!ids.length) return { sessions: 0 };
      return {
        refresh_tokens: await count(
          em,
          `DELETE FROM refresh_tokens WHERE family_id IN
             (SELECT id FROM refresh_token_families WHERE session_id = ANY($1::uuid[]))`,
          [ids],
        ),
        refresh_token_families: await count(
          em,
          `DELETE FROM refresh_token_families WHERE session_id = ANY($1::uuid[])`,
          [ids],
        ),
        session_surfaces: await count(
          em,
          `DELETE FROM session_surfaces WHERE session_id = ANY($1::uuid[])`,
          [ids],
        ),
        authorization_codes: await count(
          em,
          `DELETE FROM authorization_codes WHERE session_id = ANY($1::uuid[])`,
          [ids],
        ),
        sessions: await count(em, `DELETE FROM sessions WHERE id = ANY($1::uuid[])`, [ids]),
      };
    });
  }

  /**
   * Refresh-token families that died (revoked, or past their absolute expiry) more than
   * `keepSeconds` ago in sessions that live on, with their refresh tokens. A live family keeps
   * every token it ever had: a consumed one coming back is how reuse is detected.
   */
  deadFamilies(by: EndedBy, keepSeconds: number, size: number): Promise<BatchOutcome> {
    return this.batch('refresh_token_families', size, async (em) => {
      const ids: string[] = (
        await em.query(
          `SELECT id FROM refresh_token_families WHERE ${by} < now() - $1::float8 ${SECONDS}
           LIMIT $2 FOR UPDATE SKIP LOCKED`,
          [keepSeconds, size],
        )
      ).map((r: { id: string }) => r.id);
      if (!ids.length) return { refresh_token_families: 0 };
      return {
        refresh_tokens: await count(
          em,
          `DELETE FROM refresh_tokens WHERE family_id = ANY($1::uuid[])`,
          [ids],
        ),
        refresh_token_families: await count(
          em,
          `DELETE FROM refresh_token_families WHERE id = ANY($1::uuid[])`,
          [ids],
        ),
      };
    });
  }

  /** Authorization codes expired more than CODE_KEPT_SECONDS ago (redeemed or not). */
  expiredCodes(size: number): Promise<BatchOutcome> {
    return this.batch('authorization_codes', size, async (em) => ({
      authorization_codes: await count(
        em,
        `DELETE FROM authorization_codes WHERE id IN (SELECT id FROM authorization_codes
             WHERE expires_at < now() - $1::int ${SECONDS} LIMIT $2 FOR UPDATE SKIP LOCKED)`,
        [CODE_KEPT_SECONDS, size],
      ),
    }));
  }

  /**
   * Feed events past their `exp`, plus the longest access-token lifetime their tenant issues today
   * and the clock-skew margin. Neither the feed nor introspection reads an event past its `exp`
   * (`expires_at > now()` in every query), so deleting one changes no answer; the extra lifetime is
   * a second line, in case a tenant's lifetimes grew after the event was written.
   */
  expiredEvents(size: number): Promise<BatchOutcome> {
    return this.batch('revocation_events', size, async (em) => ({
      revocation_events: await count(
        em,
        `DELETE FROM revocation_events WHERE id IN (
             SELECT e.id FROM revocation_events e JOIN tenants t ON t.id = e.tenant_id
             WHERE e.expires_at < now() - $1::int ${SECONDS}
               AND e.expires_at < now() - (${longestAccessTokenSql('t', '$2::int')} + $1::int) ${SECONDS}
             LIMIT $3 FOR UPDATE OF e SKIP LOCKED)`,
        [EVENT_MARGIN_SECONDS, MAX_ACCESS_TOKEN_TTL_SECONDS, size],
      ),
    }));
  }

  /** Back-channel logouts delivered or given up on, written more than `keepSeconds` ago. */
  finishedDeliveries(keepSeconds: number, size: number): Promise<BatchOutcome> {
    return this.batch('backchannel_deliveries', size, async (em) => ({
      backchannel_deliveries: await count(
        em,
        `DELETE FROM backchannel_deliveries WHERE id IN (SELECT id FROM backchannel_deliveries
             WHERE created_at < now() - $1::float8 ${SECONDS} AND status <> 'pending'
             LIMIT $2 FOR UPDATE SKIP LOCKED)`,
        [keepSeconds, size],
      ),
    }));
  }

  /**
   * Shared Signals outbox rows: acknowledged, delivered or given up on and written more than
   * `keepSeconds` ago, and any still unacknowledged after SSF_UNACKNOWLEDGED_KEPT_SECONDS.
   */
  finishedSignals(keepSeconds: number, size: number): Promise<BatchOutcome> {
    return this.batch('ssf_events', size, async (em) => ({
      ssf_events: await count(
        em,
        `DELETE FROM ssf_events WHERE id IN (SELECT id FROM ssf_events
             WHERE created_at < now() - LEAST($1::float8, $2::float8) ${SECONDS}
               AND ((status <> 'pending' AND created_at < now() - $1::float8 ${SECONDS})
                    OR (status = 'pending' AND created_at < now() - $2::float8 ${SECONDS}))
             LIMIT $3 FOR UPDATE SKIP LOCKED)`,
        [keepSeconds, SSF_UNACKNOWLEDGED_KEPT_SECONDS, size],
      ),
    }));
  }

  /**
   * Rate-limit counters (the PostgreSQL store) whose window and block are over. The table is small
   * (one row per counted subject) and unindexed beyond its key, so its hot upserts stay HOT.
   */
  staleCounters(size: number): Promise<BatchOutcome> {
    return this.batch('rate_limit_counters', size, async (em) => ({
      rate_limit_counters: await count(
        em,
        `DELETE FROM rate_limit_counters WHERE key IN (SELECT key FROM rate_limit_counters
             WHERE window_started_at < now() - $1::int ${SECONDS}
               AND (blocked_until IS NULL OR blocked_until < now())
             LIMIT $2 FOR UPDATE SKIP LOCKED)`,
        [COUNTER_KEPT_SECONDS, size],
      ),
    }));
  }

  /**
   * Pushed authorization requests (RFC 9126) past their expiry, used or not: nothing reads one
   * after it (a request_uri is refused alike whether its row is expired or gone).
   */
  expiredPushedRequests(size: number): Promise<BatchOutcome> {
    return this.batch('pushed_authorization_requests', size, async (em) => ({
      pushed_authorization_requests: await count(
        em,
        `DELETE FROM pushed_authorization_requests WHERE id IN (SELECT id FROM pushed_authorization_requests
             WHERE expires_at < now() LIMIT $1 FOR UPDATE SKIP LOCKED)`,
        [size],
      ),
    }));
  }

  /** DPoP proofs out of their acceptance window: a replay of one is refused by its `iat` now. */
  expiredProofs(size: number): Promise<BatchOutcome> {
    return this.batch('dpop_proofs', size, async (em) => ({
      dpop_proofs: await count(
        em,
        `DELETE FROM dpop_proofs WHERE (tenant_id, proof_hash) IN (SELECT tenant_id, proof_hash
             FROM dpop_proofs WHERE expires_at < now() LIMIT $1 FOR UPDATE SKIP LOCKED)`,
        [size],
      ),
    }));
  }

  /** Audit rows written more than `keepSeconds` ago. */
  oldAudit(keepSeconds: number, size: number): Promise<BatchOutcome> {
    return this.batch('audit_events', size, async (em) => ({
      audit_events: await count(
        em,
        `DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events
             WHERE created_at < now() - $1::float8 ${SECONDS} LIMIT $2 FOR UPDATE SKIP LOCKED)`,
        [keepSeconds, size],
      ),
    }));
  }
}

async function count(em: EntityManager, sql: string, params: unknown[]): Promise<number> {
  const result = await em.query(sql, params);
  return Array.isArray(result) && typeof result[1] === 'number' ? result[1] : 0;
}
