/**
 * Every statement SessionsRepository sends, each whole, with the rows it returns. Expiry decisions
 * use the database's now(), so every instance agrees whatever its clock says. The final text of
 * each is snapshotted in `src/queries/sessions.repository.sql` (`npm run generate:sql`), where a
 * change shows up in review.
 *
 * Recurring rules, written out in each statement that needs them:
 * - a session is alive when `s.revoked_at IS NULL AND s.idle_expires_at > now() AND
 *   s.absolute_expires_at > now()`, and is of use only while its user is enabled;
 * - `last_seen_at` (of a session, of a surface) moves at most once a minute: unchanged, it leaves
 *   the session's indexes untouched, so a refresh's session update is a heap-only (HOT) update;
 *   `idle_expires_at`, not indexed, moves every time, slid by the policy's idle time when set and
 *   never past the absolute expiry;
 * - `issuedAt` is the `iat` of what a grant mints: the database's now() in whole epoch seconds, so
 *   that it and a revocation's cut are read off the same clock (see RevocationRepository.insertEvent).
 */
import { ACCESS_TOKEN_REVOKED } from '../revocation';
import { Params, selectList, sql } from '../database';
import type {
  AuthorizationCode,
  FamilyResource,
  RefreshToken,
  RefreshTokenFamily,
  Session,
  SessionSurface,
} from './session.entity';

// ---------------------------------------------------------------------------------------------
// Rows

/** The columns a session is read with: its select list and its row type, from this one list. */
const SESSION_FIELDS = [
  'id',
  'tenantId',
  'userId',
  'authTime',
  'createdAt',
  'lastSeenAt',
  'idleExpiresAt',
  'absoluteExpiresAt',
  'ip',
  'userAgent',
  'revokedAt',
  'revocationReason',
] as const satisfies ReadonlyArray<keyof Session>;
export type SessionRow = Pick<Session, (typeof SESSION_FIELDS)[number]>;
const SESSION_COLUMNS = selectList('s', SESSION_FIELDS);

/** A session as the admin API shows it: with its user's email and who ended it. */
export type SessionViewRow = SessionRow &
  Pick<Session, 'revokedBy'> & {
    userEmail: string;
    /** The email of the user who ended it, when `revokedBy` names a user. */
    revokedByEmail: string | null;
  };
/**
 * The select list and joins of SessionViewRow (one join each, never a lookup per row). `revoked_by`
 * holds a user id or a client's id: only a user id is looked up.
 */
const SESSION_VIEW_COLUMNS = `${SESSION_COLUMNS}, s.revoked_by AS "revokedBy", u.email AS "userEmail", rb.email AS "revokedByEmail"`;
const SESSION_VIEW_JOINS = `JOIN users u ON u.id = s.user_id
  LEFT JOIN users rb ON rb.id = CASE WHEN s.revoked_by ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN s.revoked_by::uuid END`;

/** What an authorization code grants: written when it is issued, read back when it is redeemed. */
const CODE_GRANT_FIELDS = [
  'applicationId',
  'sessionId',
  'userId',
  'redirectUri',
  'scopes',
  'resources',
  'nonce',
  'codeChallenge',
  'authTime',
] as const satisfies ReadonlyArray<keyof AuthorizationCode>;
export type CodeGrant = Pick<AuthorizationCode, (typeof CODE_GRANT_FIELDS)[number]>;
/** A code to issue: what it grants, in its tenant. */
export type CodeRequest = CodeGrant & Pick<AuthorizationCode, 'tenantId'>;
const CODE_GRANT_COLUMNS = selectList('c', CODE_GRANT_FIELDS);

/** The `iat` of what this grant mints (the database's clock, epoch seconds). */
interface Minted {
  issuedAt: number;
}

export type LockedCode = CodeGrant &
  Pick<AuthorizationCode, 'id' | 'familyId'> &
  Minted & { isExpired: boolean; isUsed: boolean };

export type LockedRefreshToken = Pick<RefreshToken, 'id' | 'familyId' | 'generation'> &
  Pick<
    RefreshTokenFamily,
    'applicationId' | 'sessionId' | 'userId' | 'scopes' | 'resources' | 'dpopJkt'
  > &
  Pick<Session, 'authTime'> &
  Minted & {
    isUsed: boolean;
    secondsSinceUse: number | null;
    isTokenAlive: boolean;
    isFamilyAlive: boolean;
    familyAbsoluteExpiresAt: Date;
    isSessionAlive: boolean;
  };

export interface HeldPermission {
  scopes: string[];
  permissionGroups: string[];
}

export type RotatedFamily = Pick<
  RefreshTokenFamily,
  'sessionId' | 'userId' | 'scopes' | 'resources'
> &
  Pick<Session, 'authTime'> &
  Minted & {
    familyId: string;
    /** The user's permission on the family's resource server, read in the same statement (null: none). */
    permission: HeldPermission | null;
  };

export type RefreshTokenState = Pick<RefreshToken, 'id' | 'familyId'> &
  Pick<RefreshTokenFamily, 'sessionId' | 'userId' | 'resources' | 'scopes'> & {
    clientId: string;
    iat: number;
    exp: number;
    isActive: boolean;
  };

export type SurfaceRow = Pick<
  SessionSurface,
  'sessionId' | 'applicationId' | 'firstSeenAt' | 'lastSeenAt'
> & { clientId: string };

export type FamilyRow = Pick<
  RefreshTokenFamily,
  | 'id'
  | 'createdAt'
  | 'absoluteExpiresAt'
  | 'revokedAt'
  | 'revocationReason'
  | 'scopes'
  | 'resources'
> & { clientId: string };

export type TokenRow = Pick<
  RefreshToken,
  'familyId' | 'generation' | 'createdAt' | 'usedAt' | 'idleExpiresAt' | 'graceReplays'
>;

export type LiveFamily = Pick<RefreshTokenFamily, 'id' | 'sessionId' | 'userId'> & {
  clientId: string;
};

export type { FamilyResource };

// ---------------------------------------------------------------------------------------------
// Sessions and their surfaces

export const INSERT_SESSION = sql('tessera_insert_session')`
  INSERT INTO sessions (id, tenant_id, user_id, cookie_hash, auth_time, idle_expires_at, absolute_expires_at, ip, user_agent)
  VALUES ($1, $2, $3, $4, now(), now() + LEAST($5::int, $6::int) * interval '1 second', now() + $6::int * interval '1 second', $7, $8)
`;

/** $1 cookie hash, $2 tenant: the live session a cookie names, for an enabled user. */
export const SESSION_BY_COOKIE = sql<SessionRow>('tessera_session_by_cookie')`
  SELECT ${SESSION_COLUMNS}
  FROM sessions s JOIN users u ON u.id = s.user_id
  WHERE s.cookie_hash = $1 AND s.tenant_id = $2
    AND s.revoked_at IS NULL AND s.idle_expires_at > now() AND s.absolute_expires_at > now()
    AND NOT u.is_disabled
`;

export const SESSION_IS_ALIVE = sql('tessera_session_is_alive')`
  SELECT 1 FROM sessions s
  WHERE s.id = $1 AND s.revoked_at IS NULL AND s.idle_expires_at > now() AND s.absolute_expires_at > now()
`;

/** $1 session, $2 seconds to slide the idle expiry by (null: it stays). */
export const TOUCH_SESSION = sql('tessera_touch_session')`
  UPDATE sessions SET
    last_seen_at = CASE WHEN last_seen_at > now() - interval '60 seconds' THEN last_seen_at ELSE now() END,
    idle_expires_at = CASE WHEN $2::int IS NULL THEN idle_expires_at
                           ELSE LEAST(now() + $2::int * interval '1 second', absolute_expires_at) END
  WHERE id = $1
`;

/**
 * $1 session, $2 application, $3 tenant: the application used the session (its surface, for
 * single logout). A surface seen within the minute is only read: no row is written.
 */
export const TOUCH_SURFACE = sql('tessera_touch_surface')`
  INSERT INTO session_surfaces (session_id, application_id, tenant_id) SELECT $1::uuid, $2::uuid, $3::uuid
  WHERE NOT EXISTS (SELECT 1 FROM session_surfaces ss
    WHERE ss.session_id = $1 AND ss.application_id = $2 AND ss.last_seen_at > now() - interval '60 seconds')
  ON CONFLICT (session_id, application_id) DO UPDATE SET last_seen_at = now()
`;

export const REMOVE_SURFACE = sql('tessera_remove_surface')`
  DELETE FROM session_surfaces WHERE session_id = $1 AND application_id = $2
`;

/** $1 session, $2 reason: every family of the session; its caller ends the session next. */
export const REVOKE_SESSION_FAMILIES = sql('tessera_revoke_session_families')`
  UPDATE refresh_token_families SET revoked_at = now(), revocation_reason = $2
  WHERE session_id = $1 AND revoked_at IS NULL
`;

/** $1 session, $2 reason, $3 who ended it (an administrator's or the user's subject; null: the server). */
export const REVOKE_SESSION = sql<{ userId: string }>('tessera_revoke_session')`
  UPDATE sessions SET revoked_at = now(), revocation_reason = $2, revoked_by = $3
  WHERE id = $1 AND revoked_at IS NULL
  RETURNING user_id AS "userId"
`;

/**
 * $1 tenant, $2 application: the sessions not yet ended that the application is signed in to (a
 * surface) or holds a live family in, locked; with whether another application is signed in too.
 */
export const SESSIONS_OF_APPLICATION = sql<{
  id: string;
  userId: string;
  hasOtherSurfaces: boolean;
}>('tessera_sessions_of_application')`
  SELECT s.id, s.user_id AS "userId",
         EXISTS (SELECT 1 FROM session_surfaces o WHERE o.session_id = s.id AND o.application_id <> $2) AS "hasOtherSurfaces"
  FROM sessions s
  WHERE s.tenant_id = $1 AND s.revoked_at IS NULL
    AND (EXISTS (SELECT 1 FROM session_surfaces ss WHERE ss.session_id = s.id AND ss.application_id = $2)
      OR EXISTS (SELECT 1 FROM refresh_token_families f WHERE f.session_id = s.id AND f.application_id = $2 AND f.revoked_at IS NULL))
  ORDER BY s.id FOR UPDATE OF s
`;

export const LIVE_SESSIONS_OF_TENANT = sql<{ id: string }>('tessera_live_sessions_of_tenant')`
  SELECT id FROM sessions s WHERE s.tenant_id = $1 AND s.revoked_at IS NULL ORDER BY id FOR UPDATE
`;

export const LIVE_SESSIONS_OF_USER = sql<{ id: string }>('tessera_live_sessions_of_user')`
  SELECT id FROM sessions s WHERE s.tenant_id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL FOR UPDATE
`;

/**
 * A page of a tenant's live sessions, newest use first, after a cursor, optionally of one user or
 * one application (its surface). The filters vary, so this one is built; its placeholders are
 * numbered as values are added.
 */
/** Which live sessions a page lists, and where it starts. */
export interface SessionFilters {
  userId?: string;
  applicationId?: string;
  limit: number;
  after?: { lastSeenAt: Date; id: string };
}

export function listSessions(
  tenantId: string,
  f: SessionFilters,
): { text: string; values: unknown[] } {
  const p = new Params();
  const where = [
    `s.tenant_id = ${p.add(tenantId)}`,
    `s.revoked_at IS NULL AND s.idle_expires_at > now() AND s.absolute_expires_at > now()`,
  ];
  if (f.userId) where.push(`s.user_id = ${p.add(f.userId)}`);
  if (f.applicationId)
    where.push(
      `EXISTS (SELECT 1 FROM session_surfaces ss WHERE ss.session_id = s.id AND ss.application_id = ${p.add(f.applicationId)})`,
    );
  if (f.after)
    where.push(`(s.last_seen_at, s.id) < (${p.add(f.after.lastSeenAt)}, ${p.add(f.after.id)})`);
  return {
    text: [
      `SELECT ${SESSION_VIEW_COLUMNS}`,
      `FROM sessions s ${SESSION_VIEW_JOINS}`,
      `WHERE ${where.join('\n  AND ')}`,
      `ORDER BY s.last_seen_at DESC, s.id DESC LIMIT ${p.add(f.limit)}`,
    ].join('\n'),
    values: p.values,
  };
}

/** Which ended sessions a page of the history lists, and where it starts. */
export interface EndedSessionFilters {
  /** Ended within this many seconds (the retention window: older ones are about to be deleted). */
  keptSeconds: number;
  userId?: string;
  applicationId?: string;
  reason?: string;
  from?: Date;
  to?: Date;
  limit: number;
  /** The last row of the previous page: its end in microseconds since the epoch, and its id. */
  after?: { endedAtMicros: string; id: string };
}

/** A row of the history: a session's view row, and its end in microseconds (the page's cursor). */
export type EndedSessionRow = SessionViewRow & { endedAtMicros: string };

/**
 * A page of a tenant's ended sessions, most recently ended first, after a cursor, within the
 * retention window (a row the retention job is about to delete is not shown: what the list shows
 * does not hang on when the job last ran). Optionally of one user, one application (signed in to
 * it, or holding a refresh-token family of it), one reason, and ended between `from` and `to`. The
 * cursor keeps the end to the microsecond, so no row of the same millisecond is skipped.
 */
export function listEndedSessions(
  tenantId: string,
  f: EndedSessionFilters,
): { text: string; values: unknown[] } {
  const p = new Params();
  const kept = p.add(f.keptSeconds);
  const where = [
    `s.tenant_id = ${p.add(tenantId)}`,
    `s.revoked_at IS NOT NULL`,
    // the retention job's two rules (RetentionRepository.endedSessions)
    `s.revoked_at >= now() - ${kept}::float8 * interval '1 second'`,
    `s.absolute_expires_at >= now() - ${kept}::float8 * interval '1 second'`,
  ];
  if (f.userId) where.push(`s.user_id = ${p.add(f.userId)}`);
  if (f.applicationId) {
    const app = p.add(f.applicationId);
    where.push(
      `(EXISTS (SELECT 1 FROM session_surfaces ss WHERE ss.session_id = s.id AND ss.application_id = ${app})` +
        ` OR EXISTS (SELECT 1 FROM refresh_token_families f WHERE f.session_id = s.id AND f.application_id = ${app}))`,
    );
  }
  if (f.reason) where.push(`s.revocation_reason = ${p.add(f.reason)}`);
  if (f.from) where.push(`s.revoked_at >= ${p.add(f.from)}`);
  if (f.to) where.push(`s.revoked_at < ${p.add(f.to)}`);
  if (f.after)
    where.push(
      `(s.revoked_at, s.id) < (timestamptz 'epoch' + ${p.add(f.after.endedAtMicros)}::bigint * interval '1 microsecond', ${p.add(f.after.id)})`,
    );
  return {
    text: [
      `SELECT ${SESSION_VIEW_COLUMNS},`,
      `  (extract(epoch FROM s.revoked_at - timestamptz 'epoch') * 1000000)::bigint::text AS "endedAtMicros"`,
      `FROM sessions s ${SESSION_VIEW_JOINS}`,
      `WHERE ${where.join('\n  AND ')}`,
      `ORDER BY s.revoked_at DESC, s.id DESC LIMIT ${p.add(f.limit)}`,
    ].join('\n'),
    values: p.values,
  };
}

export const SESSION_BY_ID = sql<SessionViewRow>('tessera_session_by_id')`
  SELECT ${SESSION_VIEW_COLUMNS}
  FROM sessions s ${SESSION_VIEW_JOINS}
  WHERE s.tenant_id = $1 AND s.id = $2
`;

/** $1 session ids: the applications signed in to them. */
export const SURFACES_OF = sql<SurfaceRow>('tessera_surfaces_of')`
  SELECT ss.session_id AS "sessionId", ss.application_id AS "applicationId", a.client_id AS "clientId",
         ss.first_seen_at AS "firstSeenAt", ss.last_seen_at AS "lastSeenAt"
  FROM session_surfaces ss JOIN applications a ON a.id = ss.application_id
  WHERE ss.session_id = ANY($1::uuid[])
  ORDER BY ss.first_seen_at
`;

export const FAMILIES_OF = sql<FamilyRow>('tessera_families_of')`
  SELECT f.id, a.client_id AS "clientId", f.created_at AS "createdAt", f.absolute_expires_at AS "absoluteExpiresAt",
         f.revoked_at AS "revokedAt", f.revocation_reason AS "revocationReason", f.scopes, f.resources
  FROM refresh_token_families f JOIN applications a ON a.id = f.application_id
  WHERE f.session_id = $1
  ORDER BY f.created_at
`;

/** $1 family ids: their tokens, generation by generation. */
export const TOKENS_OF = sql<TokenRow>('tessera_tokens_of')`
  SELECT family_id AS "familyId", generation, created_at AS "createdAt", used_at AS "usedAt",
         idle_expires_at AS "idleExpiresAt", grace_replays AS "graceReplays"
  FROM refresh_tokens
  WHERE family_id = ANY($1::uuid[])
  ORDER BY family_id, generation
`;

// ---------------------------------------------------------------------------------------------
// Authorization codes

export const INSERT_CODE = sql('tessera_insert_code')`
  INSERT INTO authorization_codes (id, tenant_id, code_hash, application_id, session_id, user_id, redirect_uri, scopes, resources, nonce, code_challenge, auth_time, expires_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, now() + $13::int * interval '1 second')
`;

/** $1 code hash, $2 tenant: the code, locked, with whether it is spent. */
export const LOCK_CODE = sql<LockedCode>('tessera_lock_code')`
  SELECT c.id, ${CODE_GRANT_COLUMNS},
         c.expires_at <= now() AS "isExpired", c.used_at IS NOT NULL AS "isUsed", c.family_id AS "familyId",
         floor(extract(epoch FROM now()))::float8 AS "issuedAt"
  FROM authorization_codes c
  WHERE c.code_hash = $1 AND c.tenant_id = $2
  FOR UPDATE
`;

/** $1 code, $2 the family its redemption started (null: the one recorded stays). */
export const MARK_CODE_USED = sql('tessera_mark_code_used')`
  UPDATE authorization_codes SET used_at = now(), family_id = COALESCE($2, family_id) WHERE id = $1
`;

/**
 * $1 tenant, $2 application: codes not yet redeemed expire now, so none starts a family after the
 * application's sign-ins ended.
 */
export const EXPIRE_CODES_OF_APPLICATION = sql('tessera_expire_codes_of_application')`
  UPDATE authorization_codes SET expires_at = now()
  WHERE tenant_id = $1 AND used_at IS NULL AND expires_at > now() AND application_id = $2
`;

/** $1 tenant, $2 resource server: the same, for codes granting the resource server. */
export const EXPIRE_CODES_OF_RESOURCE_SERVER = sql('tessera_expire_codes_of_resource_server')`
  UPDATE authorization_codes SET expires_at = now()
  WHERE tenant_id = $1 AND used_at IS NULL AND expires_at > now()
    AND resources @> jsonb_build_array(jsonb_build_object('resourceServerId', $2::text))
`;

// ---------------------------------------------------------------------------------------------
// Refresh-token families and their tokens

/** A family never outlives its session. */
export const INSERT_FAMILY = sql('tessera_insert_family')`
  INSERT INTO refresh_token_families (id, tenant_id, session_id, application_id, user_id, scopes, resources, absolute_expires_at, dpop_jkt)
  SELECT $1, $2, $3, $4, $5, $6, $7, LEAST(now() + $8::int * interval '1 second', s.absolute_expires_at), $9
  FROM sessions s WHERE s.id = $3
`;

/** A token never outlives its family. */
export const INSERT_REFRESH_TOKEN = sql('tessera_insert_refresh_token')`
  INSERT INTO refresh_tokens (id, tenant_id, family_id, token_hash, generation, parent_id, idle_expires_at)
  SELECT $1, $2, $3, $4, $5, $6, LEAST(now() + $7::int * interval '1 second', f.absolute_expires_at)
  FROM refresh_token_families f WHERE f.id = $3
`;

/**
 * $1 token hash, $2 tenant: the presented refresh token with its family and session, locking the
 * token and its family (every change to a family's tokens holds the family's lock, so concurrent
 * refreshes serialise). The transactional path: it reads what the rotation below only tests.
 */
export const LOCK_REFRESH_TOKEN = sql<LockedRefreshToken>('tessera_lock_refresh_token')`
  SELECT rt.id, rt.family_id AS "familyId", rt.generation, rt.used_at IS NOT NULL AS "isUsed",
         extract(epoch FROM now() - rt.used_at)::float8 AS "secondsSinceUse", rt.idle_expires_at > now() AS "isTokenAlive",
         f.application_id AS "applicationId", f.session_id AS "sessionId", f.user_id AS "userId", f.scopes, f.resources,
         f.dpop_jkt AS "dpopJkt",
         (f.revoked_at IS NULL AND f.absolute_expires_at > now()) AS "isFamilyAlive", f.absolute_expires_at AS "familyAbsoluteExpiresAt",
         (s.revoked_at IS NULL AND s.idle_expires_at > now() AND s.absolute_expires_at > now() AND NOT u.is_disabled) AS "isSessionAlive",
         s.auth_time AS "authTime",
         floor(extract(epoch FROM now()))::float8 AS "issuedAt"
  FROM refresh_tokens rt
  JOIN refresh_token_families f ON f.id = rt.family_id
  JOIN sessions s ON s.id = f.session_id
  JOIN users u ON u.id = f.user_id
  WHERE rt.token_hash = $1 AND rt.tenant_id = $2
  FOR UPDATE OF rt, f
`;

/**
 * Whole rotations of several presented tokens in one statement (one transaction, one round trip,
 * one durable commit for all of them: group commit), for the common case: each presented token
 * (hash) of its application in its tenant is unused and alive, its family alive with at most one
 * resource, its session alive and its user enabled. The parameters are parallel arrays, one entry
 * per rotation, numbered `n` from 1 in their order: $1 token hash, $2 tenant, $3 application,
 * $4 successor id, $5 successor hash, $6 successor idle seconds, $7 seconds to slide the session's
 * idle expiry by (null: no sliding), $8 the thumbprint of the request's DPoP key (null: no proof).
 * A family bound to a DPoP key (RFC 9449 §5) rotates here only with a proof of that key; any
 * other presentation of it goes to the transactional path, which refuses it as a stolen token.
 * The caller never puts one token in a batch twice.
 * - `f` locks each token and its family, in token id order (two batches never wait on each other
 *   in a cycle), the order the transactional path takes them in;
 * - `used` marks the tokens used;
 * - `successor` inserts each next generation, never past its family's absolute expiry;
 * - `live` locks the sessions in id order; `touched` touches each once (the last rotation of a
 *   session in the batch decides its sliding, as if they had come one after the other);
 * - `surface` records each application's surface, at most once a minute;
 * - the final SELECT returns one row per rotation written, with its `n`, and the user's permission
 *   on the family's resource server, for the access token. A presentation that fails any condition
 *   has no row and changed nothing: its caller takes the transactional path, which tells why.
 */
export const ROTATE = sql<RotatedFamily & { n: number; issued: number }>('tessera_rotate')`
  WITH r AS (
    SELECT * FROM unnest($1::bytea[], $2::uuid[], $3::uuid[], $4::uuid[], $5::bytea[], $6::int[], $7::int[], $8::text[])
      WITH ORDINALITY AS r (token_hash, tenant_id, application_id, successor_id, successor_hash, idle_ttl, slide_by, dpop_jkt, n)
  ), f AS (
    SELECT r.n, f.id, f.tenant_id, f.application_id, f.session_id, f.user_id, f.scopes, f.resources,
           f.absolute_expires_at, rt.id AS token_id, rt.generation, r.successor_id, r.successor_hash, r.idle_ttl, r.slide_by
    FROM r JOIN refresh_tokens rt ON rt.token_hash = r.token_hash AND rt.tenant_id = r.tenant_id
    JOIN refresh_token_families f ON f.id = rt.family_id AND f.application_id = r.application_id
    WHERE rt.used_at IS NULL AND rt.idle_expires_at > now()
      AND f.revoked_at IS NULL AND f.absolute_expires_at > now() AND jsonb_array_length(f.resources) <= 1
      AND (f.dpop_jkt IS NULL OR f.dpop_jkt = r.dpop_jkt)
      AND EXISTS (SELECT 1 FROM sessions s JOIN users u ON u.id = s.user_id
                  WHERE s.id = f.session_id
                    AND s.revoked_at IS NULL AND s.idle_expires_at > now() AND s.absolute_expires_at > now()
                    AND NOT u.is_disabled)
    ORDER BY rt.id
    FOR UPDATE OF rt, f
  ), used AS (
    UPDATE refresh_tokens rt SET used_at = now() FROM f WHERE rt.id = f.token_id RETURNING rt.id
  ), successor AS (
    INSERT INTO refresh_tokens (id, tenant_id, family_id, token_hash, generation, parent_id, idle_expires_at)
    SELECT f.successor_id, f.tenant_id, f.id, f.successor_hash, f.generation + 1, f.token_id,
           LEAST(now() + f.idle_ttl * interval '1 second', f.absolute_expires_at)
    FROM f
    RETURNING family_id
  ), live AS (
    SELECT s.id FROM sessions s WHERE s.id IN (SELECT session_id FROM f) ORDER BY s.id FOR UPDATE
  ), touched AS (
    UPDATE sessions s SET
      last_seen_at = CASE WHEN s.last_seen_at > now() - interval '60 seconds' THEN s.last_seen_at ELSE now() END,
      idle_expires_at = CASE WHEN x.slide_by IS NULL THEN s.idle_expires_at
                             ELSE LEAST(now() + x.slide_by * interval '1 second', s.absolute_expires_at) END
    FROM (SELECT DISTINCT ON (f.session_id) f.session_id, f.slide_by FROM f JOIN live ON live.id = f.session_id
          ORDER BY f.session_id, f.n DESC) x
    WHERE s.id = x.session_id
    RETURNING s.id, s.auth_time
  ), surface AS (
    INSERT INTO session_surfaces (session_id, application_id, tenant_id)
    SELECT DISTINCT f.session_id, f.application_id, f.tenant_id FROM f
    WHERE NOT EXISTS (SELECT 1 FROM session_surfaces ss
      WHERE ss.session_id = f.session_id AND ss.application_id = f.application_id AND ss.last_seen_at > now() - interval '60 seconds')
    ON CONFLICT (session_id, application_id) DO UPDATE SET last_seen_at = now()
  )
  SELECT f.n::int AS "n", f.id AS "familyId", f.session_id AS "sessionId", f.user_id AS "userId", f.scopes, f.resources,
         t.auth_time AS "authTime", (SELECT count(*) FROM successor WHERE successor.family_id = f.id)::int AS "issued",
         floor(extract(epoch FROM now()))::float8 AS "issuedAt",
         CASE WHEN up.user_id IS NULL THEN NULL
              ELSE jsonb_build_object('scopes', up.scopes, 'permissionGroups', up.permission_groups) END AS "permission"
  FROM f JOIN touched t ON t.id = f.session_id
  LEFT JOIN user_permissions up ON up.user_id = f.user_id AND up.tenant_id = f.tenant_id
    AND up.resource_server_id = (f.resources->0->>'resourceServerId')::uuid
`;

/** $1 token: its successor, if it was rotated. */
export const CHILD_OF = sql<{ id: string; tokenHash: Buffer; isUsed: boolean }>('tessera_child_of')`
  SELECT id, token_hash AS "tokenHash", used_at IS NOT NULL AS "isUsed" FROM refresh_tokens WHERE parent_id = $1
`;

export const MARK_TOKEN_USED = sql('tessera_mark_token_used')`
  UPDATE refresh_tokens SET used_at = now() WHERE id = $1
`;

export const COUNT_GRACE_REPLAY = sql('tessera_count_grace_replay')`
  UPDATE refresh_tokens SET grace_replays = grace_replays + 1 WHERE id = $1
`;

/** $1 token, $2 idle seconds: rotation off, the same token's idle time restarts, within its family's life. */
export const EXTEND_TOKEN_IDLE = sql('tessera_extend_token_idle')`
  UPDATE refresh_tokens rt SET idle_expires_at = LEAST(now() + $2::int * interval '1 second', f.absolute_expires_at)
  FROM refresh_token_families f WHERE rt.id = $1 AND f.id = rt.family_id
`;

export const REVOKE_FAMILY = sql('tessera_revoke_family')`
  UPDATE refresh_token_families SET revoked_at = now(), revocation_reason = $2 WHERE id = $1 AND revoked_at IS NULL
`;

/**
 * $1 tenant, $2 application: its live families (not revoked), locked. Families are locked before
 * their sessions, in the order a rotation takes them, so the two cannot deadlock.
 */
export const LIVE_FAMILIES_OF_APPLICATION = sql<LiveFamily>('tessera_live_families_of_application')`
  SELECT f.id, f.session_id AS "sessionId", f.user_id AS "userId", a.client_id AS "clientId"
  FROM refresh_token_families f JOIN applications a ON a.id = f.application_id
  WHERE f.tenant_id = $1 AND f.revoked_at IS NULL AND f.application_id = $2
  ORDER BY f.id FOR UPDATE OF f
`;

/** $1 tenant, $2 resource server: the same, for families granted the resource server. */
export const LIVE_FAMILIES_OF_RESOURCE_SERVER = sql<LiveFamily>(
  'tessera_live_families_of_resource_server',
)`
  SELECT f.id, f.session_id AS "sessionId", f.user_id AS "userId", a.client_id AS "clientId"
  FROM refresh_token_families f JOIN applications a ON a.id = f.application_id
  WHERE f.tenant_id = $1 AND f.revoked_at IS NULL
    AND f.resources @> jsonb_build_array(jsonb_build_object('resourceServerId', $2::text))
  ORDER BY f.id FOR UPDATE OF f
`;

/** $1 token hash, $2 tenant: a refresh token's state for introspection and revocation (no lock). */
export const REFRESH_TOKEN_STATE = sql<
  Omit<RefreshTokenState, 'iat' | 'exp'> & { iat: string; exp: string }
>('tessera_refresh_token_state')`
  SELECT rt.id, rt.family_id AS "familyId", f.session_id AS "sessionId", f.user_id AS "userId", a.client_id AS "clientId",
         f.resources, f.scopes, extract(epoch FROM rt.created_at)::bigint AS iat,
         extract(epoch FROM LEAST(rt.idle_expires_at, f.absolute_expires_at))::bigint AS exp,
         (rt.used_at IS NULL AND rt.idle_expires_at > now() AND f.revoked_at IS NULL AND f.absolute_expires_at > now()
          AND s.revoked_at IS NULL AND s.idle_expires_at > now() AND s.absolute_expires_at > now()
          AND NOT u.is_disabled) AS "isActive"
  FROM refresh_tokens rt JOIN refresh_token_families f ON f.id = rt.family_id JOIN sessions s ON s.id = f.session_id
  JOIN users u ON u.id = f.user_id JOIN applications a ON a.id = f.application_id
  WHERE rt.token_hash = $1 AND rt.tenant_id = $2
`;

// ---------------------------------------------------------------------------------------------
// Hot: run by hotQuery, named prepared statements on a server reached directly

/** $1 session, $2 tenant: whether the session a token names is live and its user enabled. */
export const SESSION_LIVE = sql('tessera_session_live')`
  SELECT 1 WHERE EXISTS (SELECT 1 FROM sessions s JOIN users u ON u.id = s.user_id
    WHERE s.id = $1 AND s.tenant_id = $2
      AND s.revoked_at IS NULL AND s.idle_expires_at > now() AND s.absolute_expires_at > now()
      AND NOT u.is_disabled)
`;

/**
 * Which of several access tokens are live after their signatures checked out (a batch of
 * liveness checks in one statement, see SessionsRepository): each one's session, when it names one,
 * live and its user enabled, and no revocation event covering it (ACCESS_TOKEN_REVOKED). $1 is a
 * JSON array with one object of facts per token, numbered `n` from 1 in their order; `aud` is a
 * JSON array of strings, read as the text[] the revocation condition compares with `= ANY`. Returns
 * the `n` of each live token; a token not live (or whose session is another tenant's) has no row.
 */
export const ACCESS_TOKENS_LIVE = sql<{ n: number }>('tessera_access_tokens_live')`
  SELECT t.n::int AS n
  FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (tenant_id uuid, sid uuid, jti text, client_id text, iat float8,
                                                    family_id uuid, kid text, sub text, aud text[]))
    WITH ORDINALITY AS t (tenant_id, sid, jti, client_id, iat, family_id, kid, sub, aud, n)
  WHERE (t.sid IS NULL OR EXISTS (SELECT 1 FROM sessions s JOIN users u ON u.id = s.user_id
    WHERE s.id = t.sid AND s.tenant_id = t.tenant_id
      AND s.revoked_at IS NULL AND s.idle_expires_at > now() AND s.absolute_expires_at > now()
      AND NOT u.is_disabled))
  AND NOT ${ACCESS_TOKEN_REVOKED}
`;

/** $1 tenant: how many of its sessions are alive now (the admin overview's count). */
export const COUNT_ALIVE = sql<{ n: number }>('tessera_count_alive_sessions')`
  SELECT count(*)::int AS n FROM sessions s
  WHERE s.tenant_id = $1
    AND s.revoked_at IS NULL AND s.idle_expires_at > now() AND s.absolute_expires_at > now()
`;

/**
 * $1 tenant, $2 since: rotations per hour. Every refresh token after a family's first was issued by
 * a refresh. Hours since the epoch, not date_trunc: the database's time zone cannot shift them.
 */
export const ROTATIONS_BY_HOUR = sql<{ hour: number; count: number }>('tessera_rotations_by_hour')`
  SELECT floor(extract(epoch FROM created_at) / 3600)::int AS hour, count(*)::int AS count
  FROM refresh_tokens
  WHERE tenant_id = $1 AND generation > 0 AND created_at >= $2
  GROUP BY 1
`;

/**
 * Up to 100 sessions no longer alive but not yet ended (past their idle or absolute expiry), locked
 * so that of several instances sweeping together one ends each.
 */
export const LOCK_EXPIRED = sql<{ id: string; tenantId: string }>('tessera_lock_expired_sessions')`
  SELECT s.id, s.tenant_id AS "tenantId" FROM sessions s
  WHERE s.revoked_at IS NULL
    AND NOT (s.idle_expires_at > now() AND s.absolute_expires_at > now())
  ORDER BY s.idle_expires_at LIMIT 100
  FOR UPDATE SKIP LOCKED
`;
