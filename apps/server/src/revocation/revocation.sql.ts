/**
 * Every statement RevocationRepository sends, each whole, with the rows it returns; snapshotted in
 * `src/queries/revocation.repository.sql` (`npm run generate:sql`).
 */
import { selectList, sql } from '../database';
import type { RevocationEvent } from './revocation.entity';

/** Seconds an event outlives the tokens it cuts: clock skew between instances and validators. */
export const EVENT_MARGIN_SECONDS = 120;

/** One event of the feed, as the feed sends it (its id, a bigint, as text: the cursor). */
const FEED_FIELDS = [
  'type',
  'sid',
  'jti',
  'sub',
  'clientId',
  'familyId',
  'kid',
  'aud',
  'reason',
  'notBefore',
  'expiresAt',
  'createdAt',
] as const satisfies ReadonlyArray<keyof RevocationEvent>;
export type FeedRow = Pick<RevocationEvent, 'id' | (typeof FEED_FIELDS)[number]>;

/**
 * Whether an access token is revoked, as an SQL condition over a row `t` of its facts: tenant_id,
 * sid (uuid or null), jti, client_id, iat (epoch seconds), family_id (uuid or null), kid (the
 * header's, or null), sub and aud (a text array); SessionsRepository runs it in one statement with
 * the session's own check, for a batch of tokens at once (tessera_access_tokens_live).
 *
 * A token that names its family (`family_id`, every token minted from one) is cut by that family's
 * event alone, with no time comparison: a later sign-in of the same session and client is another
 * family, and lives however soon it follows. A token minted before tokens named their family is cut
 * by its session + client, issued before the cut (the same second counts as before: the safe side),
 * until it expires. A token signed by a withdrawn key is cut by the key's event; a token for a
 * deleted resource server by its audience's event (every token for it issued until then); a token
 * naming no session (client_credentials) by its subject's cut (the client's own tokens: see
 * RevocationService.clientCutOff). Sessions, and so sign-out-everywhere, are checked against their
 * own rows; user-wide events are for stateless validators.
 */
export const ACCESS_TOKEN_REVOKED = `EXISTS (SELECT 1 FROM revocation_events e
    WHERE e.tenant_id = t.tenant_id AND e.expires_at > now() AND (
      (e.type = 'access_token' AND e.jti = t.jti)
      OR (e.type = 'key' AND e.kid = t.kid)
      OR (e.type = 'family' AND e.family_id = t.family_id)
      OR (e.type = 'family' AND t.family_id IS NULL AND e.sid = t.sid AND e.client_id = t.client_id AND e.not_before >= to_timestamp(t.iat))
      OR (e.type = 'audience' AND e.aud = ANY(t.aud) AND e.not_before >= to_timestamp(t.iat))
      OR (e.type = 'user' AND t.sid IS NULL AND e.sub = t.sub AND e.not_before >= to_timestamp(t.iat))
    ))`;

/**
 * The longest access-token lifetime, in seconds, that tenant row `t` (an SQL alias) issues today:
 * its own, or an application's or a resource server's longer one, never above `cap` (the SQL of the
 * cap on every lifetime). A fragment of this statement and of the retention sweep's.
 */
export const longestAccessTokenSql = (t: string, cap: string) =>
  `LEAST(GREATEST(${t}.access_token_ttl,
     (SELECT max(a.access_token_ttl) FROM applications a WHERE a.tenant_id = ${t}.id),
     (SELECT max(r.access_token_ttl) FROM resource_servers r WHERE r.tenant_id = ${t}.id)), ${cap})`;

/** $1 tenant: its revocation lock, held to commit. */
export const LOCK_TENANT = sql('tessera_lock_tenant_revocations')`
  SELECT pg_advisory_xact_lock(hashtext('revocations:' || $1))
`;

export const TRY_LOCK_TENANT = sql<{ ok: boolean }>('tessera_try_lock_tenant_revocations')`
  SELECT pg_try_advisory_xact_lock(hashtext('revocations:' || $1)) AS ok
`;

/**
 * $1 tenant, $2 type, $3 sid, $4 jti, $5 sub, $6 client id, $7 family, $8 kid, $9 aud, $10 reason;
 * $11 whether it cuts by time, $12 the least cut; $13 its expiry (null: computed), $14 the cap on
 * every access-token lifetime. The cut is clock_timestamp(), read after the revoked rows' locks
 * were taken; without an explicit expiry, the event lives as long as the longest-lived access token
 * of the tenant would, issued now or under a lifetime since shortened, plus the margin. (LEAST
 * and GREATEST skip nulls: a tenant that never shortened a lifetime must count as now, not as the cap.)
 */
export const INSERT_EVENT = sql('tessera_insert_revocation_event')`
  INSERT INTO revocation_events (tenant_id, type, sid, jti, sub, client_id, family_id, kid, aud, reason, not_before, expires_at)
  SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, CASE WHEN $11::boolean THEN GREATEST(clock_timestamp(), $12::timestamptz) END,
         COALESCE($13::timestamptz,
           GREATEST(now() + ${longestAccessTokenSql('t', '$14::int')} * interval '1 second',
                    LEAST(COALESCE(t.access_tokens_live_until, now()), now() + $14::int * interval '1 second'))
           + ${EVENT_MARGIN_SECONDS} * interval '1 second')
  FROM tenants t WHERE t.id = $1
`;

/** $1 channel, $2 payload: delivered when the transaction commits. */
export const NOTIFY = sql('tessera_notify')`
  SELECT pg_notify($1, $2)
`;

/**
 * $1 session, $2 application (null: every one): outbox rows for the session's applications that
 * have a back-channel logout URI.
 */
export const ENQUEUE_BACKCHANNEL = sql('tessera_enqueue_backchannel')`
  INSERT INTO backchannel_deliveries (id, tenant_id, application_id, session_id, sub, status)
  SELECT gen_random_uuid(), s.tenant_id, ss.application_id, s.id, s.user_id::text, 'pending'
  FROM sessions s JOIN session_surfaces ss ON ss.session_id = s.id JOIN applications a ON a.id = ss.application_id
  WHERE s.id = $1 AND a.backchannel_logout_uri IS NOT NULL AND ($2::uuid IS NULL OR a.id = $2::uuid)
`;

/** $1 tenant, $2 sub: the latest cut of a subject's tokens still in force (a `user` event). */
export const LAST_SUBJECT_CUT = sql<{ at: Date | null }>('tessera_last_subject_cut')`
  SELECT max(not_before) AS at FROM revocation_events
  WHERE tenant_id = $1 AND type = 'user' AND sub = $2 AND expires_at > now()
`;

/**
 * $1 tenant, $2 cursor, $3 page size. ORDER BY the column, not the text alias of the same name: as
 * text, "10" sorts before "9" and a cursor taken from the last row would skip or repeat events.
 */
export const EVENTS_AFTER = sql<FeedRow>('tessera_revocation_events_after')`
  SELECT e.id::text AS id, ${selectList('e', FEED_FIELDS)}
  FROM revocation_events e
  WHERE tenant_id = $1 AND e.id > $2::bigint AND expires_at > now()
  ORDER BY e.id LIMIT $3
`;

export const LATEST_ID = sql<{ id: string }>('tessera_revocation_latest_id')`
  SELECT COALESCE(max(id), 0)::text AS id FROM revocation_events WHERE tenant_id = $1
`;
