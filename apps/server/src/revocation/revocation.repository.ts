import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { MAX_ACCESS_TOKEN_TTL_SECONDS } from '@tessera/contracts';
import { REVOCATIONS_CHANNEL } from '../database';
import { Metrics } from '../metrics';
import type { RevocationType } from './revocation.entity';

export interface FeedRow {
  id: string;
  type: RevocationType;
  sid: string | null;
  jti: string | null;
  sub: string | null;
  clientId: string | null;
  familyId: string | null;
  kid: string | null;
  aud: string | null;
  reason: string | null;
  notBefore: Date | null;
  expiresAt: Date;
  createdAt: Date;
}

/**
 * Whether an access token is revoked, as an SQL condition: its jti, or its family. A token that
 * names its family (`family_id`, every token minted from one) is cut by that family's event alone,
 * with no time comparison: a later sign-in of the same session and client is another family, and
 * lives however soon it follows. A token minted before tokens named their family is cut by its
 * session + client, issued before the cut (the same second counts as before: the safe side), until
 * it expires. A token signed by a withdrawn key is cut by the key's event; a token for a deleted
 * resource server by its audience's event (every token for it issued until then); a token naming no
 * session (client_credentials) by its subject's cut (the client's own tokens: see
 * RevocationService.clientCutOff). Sessions, and so sign-out-everywhere, are checked against their
 * own rows; user-wide events are for stateless validators. The arguments are the SQL of the tenant
 * id, jti, sid (uuid or null), client id, iat (epoch seconds), family id (uuid or null), the
 * header's kid (or null), sub and aud (a text array);
 * SessionsRepository.isAccessTokenLive runs it in one statement with the session's own check.
 */
export const accessTokenRevokedSql = (p: {
  tenantId: string;
  jti: string;
  sid: string;
  clientId: string;
  iat: string;
  familyId: string;
  kid: string;
  sub: string;
  aud: string;
}) => `EXISTS (SELECT 1 FROM revocation_events
   WHERE tenant_id = ${p.tenantId} AND expires_at > now() AND (
     (type = 'access_token' AND jti = ${p.jti})
     OR (type = 'key' AND kid = ${p.kid})
     OR (type = 'family' AND family_id = ${p.familyId}::uuid)
     OR (type = 'family' AND ${p.familyId}::uuid IS NULL AND sid = ${p.sid}::uuid AND client_id = ${p.clientId} AND not_before >= to_timestamp(${p.iat}))
     OR (type = 'audience' AND aud = ANY(${p.aud}::text[]) AND not_before >= to_timestamp(${p.iat}))
     OR (type = 'user' AND ${p.sid}::uuid IS NULL AND sub = ${p.sub} AND not_before >= to_timestamp(${p.iat}))
   ))`;

/** Seconds an event outlives the tokens it cuts: clock skew between instances and validators. */
export const EVENT_MARGIN_SECONDS = 120;

/**
 * The longest access-token lifetime, in seconds, that tenant row `t` (an SQL alias) issues today:
 * its own, or an application's or a resource server's longer one, never above `cap` (the SQL of the
 * cap on every lifetime).
 */
export const longestAccessTokenSql = (t: string, cap: string) =>
  `LEAST(GREATEST(${t}.access_token_ttl,
     (SELECT max(a.access_token_ttl) FROM applications a WHERE a.tenant_id = ${t}.id),
     (SELECT max(r.access_token_ttl) FROM resource_servers r WHERE r.tenant_id = ${t}.id)), ${cap})`;

@Injectable()
export class RevocationRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly metrics: Metrics,
  ) {}

  /**
   * The tenant's revocation lock, held to commit (see RevocationService.lockTenant). Taken again by
   * the same transaction, it is granted at once.
   */
  async lockTenant(em: EntityManager, tenantId: string): Promise<void> {
    await em.query(`SELECT pg_advisory_xact_lock(hashtext('revocations:' || $1))`, [tenantId]);
  }

  /** The tenant's revocation lock if it is free (or already this transaction's), without waiting. */
  async tryLockTenant(em: EntityManager, tenantId: string): Promise<boolean> {
    const rows: Array<{ ok: boolean }> = await em.query(
      `SELECT pg_try_advisory_xact_lock(hashtext('revocations:' || $1)) AS ok`,
      [tenantId],
    );
    return rows[0]?.ok === true;
  }

  /**
   * Events of a tenant are written one transaction at a time (an advisory lock held to commit), so
   * their ids grow in commit order and a reader following the cursor never skips one.
   */
  async insertEvent(
    em: EntityManager,
    e: {
      tenantId: string;
      type: RevocationType;
      sid?: string | null;
      jti?: string | null;
      sub?: string | null;
      clientId?: string | null;
      familyId?: string | null;
      kid?: string | null;
      aud?: string | null;
      reason?: string | null;
      notBefore: boolean;
      /** The cut reaches at least this far (a subject cut of a client: see clientCutOff). */
      notBeforeAtLeast?: Date | null;
      expiresInSeconds?: number;
      expiresAt?: Date;
    },
  ): Promise<void> {
    // taken first by a caller that locks rows (RevocationService.lockTenant): granted at once here
    await this.lockTenant(em, e.tenantId);
    // The cut is the database's clock_timestamp(), read after the revoked rows' locks were taken: a
    // rotation that got past the family's lock first has committed, and its token's iat (its
    // transaction's now()) lies before the cut. now() would be the revoking transaction's start,
    // possibly before such a rotation. Without an explicit expiry: when the longest-lived access
    // token of the tenant would die, issued now or under a lifetime since shortened
    // (access_tokens_live_until, migration 1765400000000); no token outlives the cap, whatever a
    // row says.
    await em.query(
      `INSERT INTO revocation_events (tenant_id, type, sid, jti, sub, client_id, family_id, kid, aud, reason, not_before, expires_at)
       SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, CASE WHEN $11::boolean THEN GREATEST(clock_timestamp(), $12::timestamptz) END,
              COALESCE($13::timestamptz,
                GREATEST(now() + ${longestAccessTokenSql('t', '$14::int')} * interval '1 second',
                         LEAST(t.access_tokens_live_until, now() + $14::int * interval '1 second'))
                + ${EVENT_MARGIN_SECONDS} * interval '1 second')
       FROM tenants t WHERE t.id = $1`,
      [
        e.tenantId,
        e.type,
        e.sid ?? null,
        e.jti ?? null,
        e.sub ?? null,
        e.clientId ?? null,
        e.familyId ?? null,
        e.kid ?? null,
        e.aud ?? null,
        e.reason ?? null,
        e.notBefore,
        e.notBeforeAtLeast ?? null,
        e.expiresAt ?? null,
        MAX_ACCESS_TOKEN_TTL_SECONDS,
      ],
    );
    await em.query(`SELECT pg_notify($1, $2)`, [REVOCATIONS_CHANNEL, e.tenantId]);
    this.metrics.revocations.inc({ type: e.type });
  }

  /** The latest cut of a subject's tokens still in force (a `user` event), if any. */
  async lastSubjectCut(em: EntityManager, tenantId: string, sub: string): Promise<Date | null> {
    const rows: Array<{ at: Date | null }> = await em.query(
      `SELECT max(not_before) AS at FROM revocation_events
       WHERE tenant_id = $1 AND type = 'user' AND sub = $2 AND expires_at > now()`,
      [tenantId, sub],
    );
    return rows[0]?.at ?? null;
  }

  async eventsAfter(tenantId: string, after: string, limit: number): Promise<FeedRow[]> {
    // ORDER BY the column, not the text alias of the same name: as text, "10" sorts before "9" and
    // a cursor taken from the last row would skip or repeat events
    return this.dataSource.query(
      `SELECT e.id::text AS id, type, sid, jti, sub, client_id AS "clientId", family_id AS "familyId", kid, aud, reason, not_before AS "notBefore", expires_at AS "expiresAt", created_at AS "createdAt"
       FROM revocation_events e WHERE tenant_id = $1 AND e.id > $2::bigint AND expires_at > now() ORDER BY e.id LIMIT $3`,
      [tenantId, after, limit],
    );
  }

  async latestId(tenantId: string): Promise<string> {
    const rows = await this.dataSource.query(
      `SELECT COALESCE(max(id), 0)::text AS id FROM revocation_events WHERE tenant_id = $1`,
      [tenantId],
    );
    return rows[0].id;
  }
}
