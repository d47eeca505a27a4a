import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config';
import { hotQuery, namedStatementsAllowed, ReadRouter } from '../database';
import { accessTokenRevokedSql } from '../revocation';
import type { FamilyResource } from './session.entity';

/** Expiry decisions use the database's now(), so every instance agrees whatever its clock says. */
const SECONDS = `* interval '1 second'`;

export interface LockedRefreshToken {
  id: string;
  familyId: string;
  generation: number;
  isUsed: boolean;
  secondsSinceUse: number | null;
  isTokenAlive: boolean;
  applicationId: string;
  sessionId: string;
  userId: string;
  scopes: string[];
  resources: FamilyResource[];
  isFamilyAlive: boolean;
  familyAbsoluteExpiresAt: Date;
  isSessionAlive: boolean;
  authTime: Date;
  /** The `iat` of what this grant mints (the database's clock, epoch seconds). */
  issuedAt: number;
}

export interface RotatedFamily {
  familyId: string;
  sessionId: string;
  userId: string;
  scopes: string[];
  resources: FamilyResource[];
  authTime: Date;
  /** The user's permission on the family's resource server, read in the same statement (null: none). */
  permission: HeldPermission | null;
  /** The `iat` of what this grant mints (the database's clock, epoch seconds). */
  issuedAt: number;
}

export interface HeldPermission {
  scopes: string[];
  permissionGroups: string[];
}

export interface LockedCode {
  id: string;
  applicationId: string;
  sessionId: string;
  userId: string;
  redirectUri: string;
  scopes: string[];
  resources: FamilyResource[];
  nonce: string | null;
  codeChallenge: string | null;
  authTime: Date;
  isExpired: boolean;
  isUsed: boolean;
  familyId: string | null;
  /** The `iat` of what this grant mints (the database's clock, epoch seconds). */
  issuedAt: number;
}

export interface SessionRow {
  id: string;
  tenantId: string;
  userId: string;
  authTime: Date;
  createdAt: Date;
  lastSeenAt: Date;
  idleExpiresAt: Date;
  absoluteExpiresAt: Date;
  ip: string | null;
  userAgent: string | null;
  revokedAt: Date | null;
  revocationReason: string | null;
}

const SESSION_COLUMNS = `s.id, s.tenant_id AS "tenantId", s.user_id AS "userId", s.auth_time AS "authTime", s.created_at AS "createdAt",
  s.last_seen_at AS "lastSeenAt", s.idle_expires_at AS "idleExpiresAt", s.absolute_expires_at AS "absoluteExpiresAt",
  s.ip, s.user_agent AS "userAgent", s.revoked_at AS "revokedAt", s.revocation_reason AS "revocationReason"`;

/** A touched session's idle expiry: slid by `slideBy` seconds when set, never past the absolute one. */
const slidIdleExpiry = (slideBy: string, s = '') =>
  `CASE WHEN ${slideBy}::int IS NULL THEN ${s}idle_expires_at ELSE LEAST(now() + ${slideBy}::int ${SECONDS}, ${s}absolute_expires_at) END`;

/** Uses within this long of the last recorded one are not recorded again. */
const SEEN_RECENTLY = `now() - interval '60 seconds'`;

/**
 * `last_seen_at` moves at most once a minute: unchanged, it leaves the session's indexes untouched,
 * so a refresh's session update is a heap-only (HOT) update; `idle_expires_at`, not indexed, moves
 * every time.
 */
const seenNow = (s = '') =>
  `CASE WHEN ${s}last_seen_at > ${SEEN_RECENTLY} THEN ${s}last_seen_at ELSE now() END`;

/**
 * Records that an application used a session (its surface, for single logout), written at most once
 * a minute like the session's `last_seen_at`: a fresh surface is only read, so a refresh writes no
 * surface row. `select` yields the (session_id, application_id, tenant_id) row, without a WHERE.
 */
const upsertSurface = (select: string, sessionId: string, applicationId: string) =>
  `INSERT INTO session_surfaces (session_id, application_id, tenant_id) ${select}
   WHERE NOT EXISTS (SELECT 1 FROM session_surfaces ss
     WHERE ss.session_id = ${sessionId} AND ss.application_id = ${applicationId} AND ss.last_seen_at > ${SEEN_RECENTLY})
   ON CONFLICT (session_id, application_id) DO UPDATE SET last_seen_at = now()`;

const ALIVE = `s.revoked_at IS NULL AND s.idle_expires_at > now() AND s.absolute_expires_at > now()`;

/** A session (of a tenant) alive and its user enabled. */
const liveSession = (id: string, tenantId: string) =>
  `EXISTS (SELECT 1 FROM sessions s JOIN users u ON u.id = s.user_id
     WHERE s.id = ${id} AND s.tenant_id = ${tenantId} AND ${ALIVE} AND NOT u.is_disabled)`;

/**
 * The `iat` of what a grant mints: the database's now() in whole epoch seconds, so that it and a
 * revocation's cut are read off the same clock (see RevocationRepository.insertEvent).
 */
const ISSUED_AT = `floor(extract(epoch FROM now()))::float8 AS "issuedAt"`;

@Injectable()
export class SessionsRepository {
  /** Hot statements as named prepared statements: a server reached directly (see hotQuery). */
  private readonly isNamed: boolean;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly reads: ReadRouter,
  ) {
    this.isNamed = namedStatementsAllowed(config);
  }

  private m(em?: EntityManager): EntityManager {
    return em ?? this.dataSource.manager;
  }

  async insertSession(
    em: EntityManager,
    s: {
      id: string;
      tenantId: string;
      userId: string;
      cookieHash: Buffer;
      idleTtl: number;
      absoluteTtl: number;
      ip: string | null;
      userAgent: string | null;
    },
  ): Promise<void> {
    await em.query(
      `INSERT INTO sessions (id, tenant_id, user_id, cookie_hash, auth_time, idle_expires_at, absolute_expires_at, ip, user_agent)
       VALUES ($1, $2, $3, $4, now(), now() + LEAST($5::int, $6::int) ${SECONDS}, now() + $6::int ${SECONDS}, $7, $8)`,
      [s.id, s.tenantId, s.userId, s.cookieHash, s.idleTtl, s.absoluteTtl, s.ip, s.userAgent],
    );
  }

  /** The live session a cookie names, in this tenant, for an enabled user. */
  async aliveByCookie(tenantId: string, cookieHash: Buffer): Promise<SessionRow | undefined> {
    const rows = await this.m().query(
      `SELECT ${SESSION_COLUMNS} FROM sessions s JOIN users u ON u.id = s.user_id
       WHERE s.cookie_hash = $1 AND s.tenant_id = $2 AND ${ALIVE} AND NOT u.is_disabled`,
      [cookieHash, tenantId],
    );
    return rows[0];
  }

  async isAlive(em: EntityManager, sessionId: string): Promise<boolean> {
    const rows = await em.query(`SELECT 1 FROM sessions s WHERE s.id = $1 AND ${ALIVE}`, [
      sessionId,
    ]);
    return rows.length > 0;
  }

  /** Last seen now; with sliding, the idle expiry moves forward, never past the absolute one. */
  async touchSession(em: EntityManager, sessionId: string, slideBy: number | null): Promise<void> {
    await em.query(
      `UPDATE sessions SET last_seen_at = ${seenNow()}, idle_expires_at = ${slidIdleExpiry('$2')} WHERE id = $1`,
      [sessionId, slideBy],
    );
  }

  async touchSurface(
    em: EntityManager,
    tenantId: string,
    sessionId: string,
    applicationId: string,
  ): Promise<void> {
    await em.query(upsertSurface('SELECT $1::uuid, $2::uuid, $3::uuid', '$1', '$2'), [
      sessionId,
      applicationId,
      tenantId,
    ]);
  }

  async insertCode(
    em: EntityManager,
    c: {
      id: string;
      tenantId: string;
      codeHash: Buffer;
      applicationId: string;
      sessionId: string;
      userId: string;
      redirectUri: string;
      scopes: string[];
      resources: FamilyResource[];
      nonce: string | null;
      codeChallenge: string | null;
      authTime: Date;
      ttl: number;
    },
  ): Promise<void> {
    await em.query(
      `INSERT INTO authorization_codes (id, tenant_id, code_hash, application_id, session_id, user_id, redirect_uri, scopes, resources, nonce, code_challenge, auth_time, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, now() + $13::int ${SECONDS})`,
      [
        c.id,
        c.tenantId,
        c.codeHash,
        c.applicationId,
        c.sessionId,
        c.userId,
        c.redirectUri,
        JSON.stringify(c.scopes),
        JSON.stringify(c.resources),
        c.nonce,
        c.codeChallenge,
        c.authTime,
        c.ttl,
      ],
    );
  }

  async lockCode(
    em: EntityManager,
    tenantId: string,
    codeHash: Buffer,
  ): Promise<LockedCode | undefined> {
    const rows = await em.query(
      `SELECT id, application_id AS "applicationId", session_id AS "sessionId", user_id AS "userId", redirect_uri AS "redirectUri",
              scopes, resources, nonce, code_challenge AS "codeChallenge", auth_time AS "authTime",
              expires_at <= now() AS "isExpired", used_at IS NOT NULL AS "isUsed", family_id AS "familyId",
              ${ISSUED_AT}
       FROM authorization_codes WHERE code_hash = $1 AND tenant_id = $2 FOR UPDATE`,
      [codeHash, tenantId],
    );
    return rows[0];
  }

  async markCodeUsed(em: EntityManager, codeId: string, familyId: string | null): Promise<void> {
    await em.query(
      `UPDATE authorization_codes SET used_at = now(), family_id = COALESCE($2, family_id) WHERE id = $1`,
      [codeId, familyId],
    );
  }

  async insertFamily(
    em: EntityManager,
    f: {
      id: string;
      tenantId: string;
      sessionId: string;
      applicationId: string;
      userId: string;
      scopes: string[];
      resources: FamilyResource[];
      absoluteTtl: number;
    },
  ): Promise<void> {
    // a family never outlives its session
    await em.query(
      `INSERT INTO refresh_token_families (id, tenant_id, session_id, application_id, user_id, scopes, resources, absolute_expires_at)
       SELECT $1, $2, $3, $4, $5, $6, $7, LEAST(now() + $8::int ${SECONDS}, s.absolute_expires_at) FROM sessions s WHERE s.id = $3`,
      [
        f.id,
        f.tenantId,
        f.sessionId,
        f.applicationId,
        f.userId,
        JSON.stringify(f.scopes),
        JSON.stringify(f.resources),
        f.absoluteTtl,
      ],
    );
  }

  async insertRefreshToken(
    em: EntityManager,
    t: {
      id: string;
      tenantId: string;
      familyId: string;
      tokenHash: Buffer;
      generation: number;
      parentId: string | null;
      idleTtl: number;
    },
  ): Promise<void> {
    await em.query(
      `INSERT INTO refresh_tokens (id, tenant_id, family_id, token_hash, generation, parent_id, idle_expires_at)
       SELECT $1, $2, $3, $4, $5, $6, LEAST(now() + $7::int ${SECONDS}, f.absolute_expires_at) FROM refresh_token_families f WHERE f.id = $3`,
      [t.id, t.tenantId, t.familyId, t.tokenHash, t.generation, t.parentId, t.idleTtl],
    );
  }

  /**
   * The presented refresh token with its family and session, locking the token and its family
   * (every change to a family's tokens holds the family's lock, so concurrent refreshes serialise).
   */
  async lockRefreshToken(
    em: EntityManager,
    tenantId: string,
    tokenHash: Buffer,
  ): Promise<LockedRefreshToken | undefined> {
    const rows = await em.query(
      `SELECT rt.id, rt.family_id AS "familyId", rt.generation, rt.used_at IS NOT NULL AS "isUsed",
              extract(epoch FROM now() - rt.used_at)::float8 AS "secondsSinceUse", rt.idle_expires_at > now() AS "isTokenAlive",
              f.application_id AS "applicationId", f.session_id AS "sessionId", f.user_id AS "userId", f.scopes, f.resources,
              (f.revoked_at IS NULL AND f.absolute_expires_at > now()) AS "isFamilyAlive", f.absolute_expires_at AS "familyAbsoluteExpiresAt",
              (${ALIVE} AND NOT u.is_disabled) AS "isSessionAlive", s.auth_time AS "authTime",
              ${ISSUED_AT}
       FROM refresh_tokens rt
       JOIN refresh_token_families f ON f.id = rt.family_id
       JOIN sessions s ON s.id = f.session_id
       JOIN users u ON u.id = f.user_id
       WHERE rt.token_hash = $1 AND rt.tenant_id = $2
       FOR UPDATE OF rt, f`,
      [tokenHash, tenantId],
    );
    return rows[0];
  }

  /**
   * A whole rotation in one statement (so in one transaction, one round trip), for the common case:
   * the presented token of this application is unused and alive, its family alive with at most one
   * resource, its session alive and its user enabled. Locks the token and its family, marks the
   * token used, inserts the successor, touches the session (sliding by `slideBy`) and the
   * application's surface; reads the user's permission on the family's resource server, for the
   * access token. Returns nothing, and changes nothing, when any condition fails: the caller then
   * takes the transactional path, which tells why.
   */
  async rotate(r: {
    tenantId: string;
    tokenHash: Buffer;
    applicationId: string;
    successorId: string;
    successorHash: Buffer;
    idleTtl: number;
    slideBy: number | null;
  }): Promise<RotatedFamily | undefined> {
    const rows = await hotQuery<RotatedFamily & { issued: number }>(
      this.dataSource,
      this.isNamed,
      'tessera_rotate',
      `WITH f AS (
         SELECT f.id, f.session_id, f.user_id, f.scopes, f.resources, f.absolute_expires_at, rt.id AS token_id, rt.generation
         FROM refresh_tokens rt JOIN refresh_token_families f ON f.id = rt.family_id
         WHERE rt.token_hash = $1 AND rt.tenant_id = $2 AND f.application_id = $3
           AND rt.used_at IS NULL AND rt.idle_expires_at > now()
           AND f.revoked_at IS NULL AND f.absolute_expires_at > now() AND jsonb_array_length(f.resources) <= 1
           AND EXISTS (SELECT 1 FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = f.session_id AND ${ALIVE} AND NOT u.is_disabled)
         FOR UPDATE OF rt, f
       ), used AS (
         UPDATE refresh_tokens rt SET used_at = now() FROM f WHERE rt.id = f.token_id RETURNING rt.id
       ), successor AS (
         INSERT INTO refresh_tokens (id, tenant_id, family_id, token_hash, generation, parent_id, idle_expires_at)
         SELECT $4, $2, f.id, $5, f.generation + 1, f.token_id, LEAST(now() + $6::int ${SECONDS}, f.absolute_expires_at) FROM f
         RETURNING id
       ), touched AS (
         UPDATE sessions s SET last_seen_at = ${seenNow('s.')}, idle_expires_at = ${slidIdleExpiry('$7', 's.')}
         FROM f WHERE s.id = f.session_id RETURNING s.auth_time
       ), surface AS (
         ${upsertSurface('SELECT f.session_id, $3::uuid, $2::uuid FROM f', 'f.session_id', '$3')}
       )
       SELECT f.id AS "familyId", f.session_id AS "sessionId", f.user_id AS "userId", f.scopes, f.resources,
              t.auth_time AS "authTime", (SELECT count(*) FROM successor)::int AS "issued",
              ${ISSUED_AT},
              CASE WHEN up.user_id IS NULL THEN NULL
                   ELSE jsonb_build_object('scopes', up.scopes, 'permissionGroups', up.permission_groups) END AS "permission"
       FROM f CROSS JOIN touched t
       LEFT JOIN user_permissions up ON up.user_id = f.user_id AND up.tenant_id = $2
         AND up.resource_server_id = (f.resources->0->>'resourceServerId')::uuid`,
      [
        r.tokenHash,
        r.tenantId,
        r.applicationId,
        r.successorId,
        r.successorHash,
        r.idleTtl,
        r.slideBy,
      ],
    );
    const row = rows[0];
    if (row?.issued !== 1) return undefined;
    const { issued: _issued, ...family } = row;
    return family;
  }

  async childOf(
    em: EntityManager,
    tokenId: string,
  ): Promise<{ id: string; tokenHash: Buffer; isUsed: boolean } | undefined> {
    const rows = await em.query(
      `SELECT id, token_hash AS "tokenHash", used_at IS NOT NULL AS "isUsed" FROM refresh_tokens WHERE parent_id = $1`,
      [tokenId],
    );
    return rows[0];
  }

  async markTokenUsed(em: EntityManager, tokenId: string): Promise<void> {
    await em.query(`UPDATE refresh_tokens SET used_at = now() WHERE id = $1`, [tokenId]);
  }

  async countGraceReplay(em: EntityManager, tokenId: string): Promise<void> {
    await em.query(`UPDATE refresh_tokens SET grace_replays = grace_replays + 1 WHERE id = $1`, [
      tokenId,
    ]);
  }

  /** Rotation off: the same token lives on; each use restarts its idle time, within the family's life. */
  async extendTokenIdle(em: EntityManager, tokenId: string, idleTtl: number): Promise<void> {
    await em.query(
      `UPDATE refresh_tokens rt SET idle_expires_at = LEAST(now() + $2::int ${SECONDS}, f.absolute_expires_at)
       FROM refresh_token_families f WHERE rt.id = $1 AND f.id = rt.family_id`,
      [tokenId, idleTtl],
    );
  }

  async revokeFamily(em: EntityManager, familyId: string, reason: string): Promise<void> {
    await em.query(
      `UPDATE refresh_token_families SET revoked_at = now(), revocation_reason = $2 WHERE id = $1 AND revoked_at IS NULL`,
      [familyId, reason],
    );
  }

  /** Ends a session and every family in it, in the caller's transaction. Returns its user when it was live. */
  async revokeSession(
    em: EntityManager,
    sessionId: string,
    reason: string,
  ): Promise<{ userId: string } | undefined> {
    await em.query(
      `UPDATE refresh_token_families SET revoked_at = now(), revocation_reason = $2 WHERE session_id = $1 AND revoked_at IS NULL`,
      [sessionId, reason],
    );
    const result = await em.query(
      `UPDATE sessions SET revoked_at = now(), revocation_reason = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING user_id AS "userId"`,
      [sessionId, reason],
    );
    const rows =
      Array.isArray(result) && Array.isArray(result[0])
        ? (result[0] as Array<{ userId: string }>)
        : [];
    return rows[0];
  }

  /**
   * The sessions not yet ended that an application is signed in to (a surface) or holds a live
   * refresh-token family in, locked; with whether another application is signed in to each too.
   */
  async sessionsOfApplication(
    em: EntityManager,
    tenantId: string,
    applicationId: string,
  ): Promise<Array<{ id: string; userId: string; hasOtherSurfaces: boolean }>> {
    return em.query(
      `SELECT s.id, s.user_id AS "userId",
              EXISTS (SELECT 1 FROM session_surfaces o WHERE o.session_id = s.id AND o.application_id <> $2) AS "hasOtherSurfaces"
       FROM sessions s
       WHERE s.tenant_id = $1 AND s.revoked_at IS NULL
         AND (EXISTS (SELECT 1 FROM session_surfaces ss WHERE ss.session_id = s.id AND ss.application_id = $2)
           OR EXISTS (SELECT 1 FROM refresh_token_families f WHERE f.session_id = s.id AND f.application_id = $2 AND f.revoked_at IS NULL))
       ORDER BY s.id FOR UPDATE OF s`,
      [tenantId, applicationId],
    );
  }

  /**
   * Live families (not revoked) of an application, or granted a resource server, locked. Families
   * are locked before their sessions, in the order a rotation takes them, so the two cannot deadlock.
   */
  async liveFamilies(
    em: EntityManager,
    tenantId: string,
    of: { applicationId: string } | { resourceServerId: string },
  ): Promise<Array<{ id: string; sessionId: string; userId: string; clientId: string }>> {
    const [where, param] =
      'applicationId' in of
        ? [`f.application_id = $2`, of.applicationId]
        : [
            `f.resources @> jsonb_build_array(jsonb_build_object('resourceServerId', $2::text))`,
            of.resourceServerId,
          ];
    return em.query(
      `SELECT f.id, f.session_id AS "sessionId", f.user_id AS "userId", a.client_id AS "clientId"
       FROM refresh_token_families f JOIN applications a ON a.id = f.application_id
       WHERE f.tenant_id = $1 AND f.revoked_at IS NULL AND ${where}
       ORDER BY f.id FOR UPDATE OF f`,
      [tenantId, param],
    );
  }

  /** An application is no longer signed in to a session (the session lives on). */
  async removeSurface(em: EntityManager, sessionId: string, applicationId: string): Promise<void> {
    await em.query(`DELETE FROM session_surfaces WHERE session_id = $1 AND application_id = $2`, [
      sessionId,
      applicationId,
    ]);
  }

  /**
   * Authorization codes not yet redeemed, of an application or granting a resource server: they
   * expire now, so none starts a family after its end.
   */
  async expireCodes(
    em: EntityManager,
    tenantId: string,
    of: { applicationId: string } | { resourceServerId: string },
  ): Promise<void> {
    const [where, param] =
      'applicationId' in of
        ? [`application_id = $2`, of.applicationId]
        : [
            `resources @> jsonb_build_array(jsonb_build_object('resourceServerId', $2::text))`,
            of.resourceServerId,
          ];
    await em.query(
      `UPDATE authorization_codes SET expires_at = now()
       WHERE tenant_id = $1 AND used_at IS NULL AND expires_at > now() AND ${where}`,
      [tenantId, param],
    );
  }

  /** Every session of a tenant not yet ended, locked. */
  async liveSessionIdsOfTenant(em: EntityManager, tenantId: string): Promise<string[]> {
    const rows = await em.query(
      `SELECT id FROM sessions s WHERE s.tenant_id = $1 AND s.revoked_at IS NULL ORDER BY id FOR UPDATE`,
      [tenantId],
    );
    return rows.map((r: { id: string }) => r.id);
  }

  async liveSessionIdsOfUser(
    em: EntityManager,
    tenantId: string,
    userId: string,
  ): Promise<string[]> {
    const rows = await em.query(
      `SELECT id FROM sessions s WHERE s.tenant_id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL FOR UPDATE`,
      [tenantId, userId],
    );
    return rows.map((r: { id: string }) => r.id);
  }

  /** `em`: the replica's or the primary's manager (ReadRouter), or the default one. */
  async listSessions(
    em: EntityManager | undefined,
    tenantId: string,
    f: {
      userId?: string;
      applicationId?: string;
      limit: number;
      after?: { lastSeenAt: Date; id: string };
    },
  ): Promise<SessionRow[]> {
    const params: unknown[] = [tenantId, f.limit];
    const where = [`s.tenant_id = $1`, ALIVE];
    if (f.userId) {
      params.push(f.userId);
      where.push(`s.user_id = $${params.length}`);
    }
    if (f.applicationId) {
      params.push(f.applicationId);
      where.push(
        `EXISTS (SELECT 1 FROM session_surfaces ss WHERE ss.session_id = s.id AND ss.application_id = $${params.length})`,
      );
    }
    if (f.after) {
      params.push(f.after.lastSeenAt, f.after.id);
      where.push(`(s.last_seen_at, s.id) < ($${params.length - 1}, $${params.length})`);
    }
    return this.m(em).query(
      `SELECT ${SESSION_COLUMNS} FROM sessions s WHERE ${where.join(' AND ')} ORDER BY s.last_seen_at DESC, s.id DESC LIMIT $2`,
      params,
    );
  }

  async sessionById(tenantId: string, id: string): Promise<SessionRow | undefined> {
    const rows = await this.m().query(
      `SELECT ${SESSION_COLUMNS} FROM sessions s WHERE s.tenant_id = $1 AND s.id = $2`,
      [tenantId, id],
    );
    return rows[0];
  }

  surfacesOf(
    em: EntityManager | undefined,
    sessionIds: string[],
  ): Promise<
    Array<{
      sessionId: string;
      applicationId: string;
      clientId: string;
      firstSeenAt: Date;
      lastSeenAt: Date;
    }>
  > {
    if (!sessionIds.length) return Promise.resolve([]);
    return this.m(em).query(
      `SELECT ss.session_id AS "sessionId", ss.application_id AS "applicationId", a.client_id AS "clientId", ss.first_seen_at AS "firstSeenAt", ss.last_seen_at AS "lastSeenAt"
       FROM session_surfaces ss JOIN applications a ON a.id = ss.application_id WHERE ss.session_id = ANY($1::uuid[]) ORDER BY ss.first_seen_at`,
      [sessionIds],
    );
  }

  familiesOf(sessionId: string): Promise<
    Array<{
      id: string;
      clientId: string;
      createdAt: Date;
      absoluteExpiresAt: Date;
      revokedAt: Date | null;
      revocationReason: string | null;
      scopes: string[];
      resources: FamilyResource[];
    }>
  > {
    return this.m().query(
      `SELECT f.id, a.client_id AS "clientId", f.created_at AS "createdAt", f.absolute_expires_at AS "absoluteExpiresAt",
              f.revoked_at AS "revokedAt", f.revocation_reason AS "revocationReason", f.scopes, f.resources
       FROM refresh_token_families f JOIN applications a ON a.id = f.application_id WHERE f.session_id = $1 ORDER BY f.created_at`,
      [sessionId],
    );
  }

  tokensOf(familyIds: string[]): Promise<
    Array<{
      familyId: string;
      generation: number;
      createdAt: Date;
      usedAt: Date | null;
      idleExpiresAt: Date;
      graceReplays: number;
    }>
  > {
    if (!familyIds.length) return Promise.resolve([]);
    return this.m().query(
      `SELECT family_id AS "familyId", generation, created_at AS "createdAt", used_at AS "usedAt", idle_expires_at AS "idleExpiresAt", grace_replays AS "graceReplays"
       FROM refresh_tokens WHERE family_id = ANY($1::uuid[]) ORDER BY family_id, generation`,
      [familyIds],
    );
  }

  /** A refresh token's state for introspection and revocation (no lock). */
  async refreshTokenState(
    tenantId: string,
    tokenHash: Buffer,
  ): Promise<RefreshTokenState | undefined> {
    const rows = await this.m().query(
      `SELECT rt.id, rt.family_id AS "familyId", f.session_id AS "sessionId", f.user_id AS "userId", a.client_id AS "clientId",
              f.resources, f.scopes, extract(epoch FROM rt.created_at)::bigint AS iat,
              extract(epoch FROM LEAST(rt.idle_expires_at, f.absolute_expires_at))::bigint AS exp,
              (rt.used_at IS NULL AND rt.idle_expires_at > now() AND f.revoked_at IS NULL AND f.absolute_expires_at > now()
               AND ${ALIVE} AND NOT u.is_disabled) AS "isActive"
       FROM refresh_tokens rt JOIN refresh_token_families f ON f.id = rt.family_id JOIN sessions s ON s.id = f.session_id
       JOIN users u ON u.id = f.user_id JOIN applications a ON a.id = f.application_id
       WHERE rt.token_hash = $1 AND rt.tenant_id = $2`,
      [tokenHash, tenantId],
    );
    const r = rows[0];
    return r ? { ...r, iat: Number(r.iat), exp: Number(r.exp) } : undefined;
  }

  /** Whether the session a token names is live (not ended, not expired, user enabled). */
  async isLive(tenantId: string, sessionId: string): Promise<boolean> {
    const rows = await hotQuery(
      this.dataSource,
      this.isNamed,
      'tessera_session_live',
      `SELECT 1 WHERE ${liveSession('$1', '$2')}`,
      [sessionId, tenantId],
    );
    return rows.length > 0;
  }

  /**
   * Whether an access token is live after its signature checked out, in one statement: its session
   * (when it names one) live and its user enabled, and no revocation event covering it. Read from
   * the replica when it may answer; only its "live" is taken from there (a "not live" may be a
   * session it has not replayed yet: the primary is asked).
   */
  async isAccessTokenLive(tenantId: string, t: AccessTokenFacts): Promise<boolean> {
    const rows = await this.reads.read(
      (ds) => this.accessTokenLiveRows(ds, tenantId, t),
      (r) => r.length > 0,
    );
    return rows.length > 0;
  }

  private accessTokenLiveRows(
    ds: DataSource,
    tenantId: string,
    t: AccessTokenFacts,
  ): Promise<unknown[]> {
    return hotQuery(
      ds,
      this.isNamed,
      'tessera_access_token_live',
      `SELECT 1 WHERE ($2::uuid IS NULL OR ${liveSession('$2::uuid', '$1')})
       AND NOT ${accessTokenRevokedSql({ tenantId: '$1', jti: '$3', sid: '$2', clientId: '$4', iat: '$5', familyId: '$6', kid: '$7', sub: '$8', aud: '$9' })}`,
      [
        tenantId,
        t.sid ?? null,
        t.jti,
        t.clientId,
        t.iat,
        t.familyId ?? null,
        t.kid ?? null,
        t.sub,
        t.aud,
      ],
    );
  }

  /** How many of a tenant's sessions are alive now (the admin overview's count). */
  async countAlive(tenantId: string): Promise<number> {
    const rows: Array<{ n: number }> = await this.dataSource.query(
      `SELECT count(*)::int AS n FROM sessions s WHERE s.tenant_id = $1 AND ${ALIVE}`,
      [tenantId],
    );
    return rows[0].n;
  }

  /**
   * Rotations per hour since `since`: every refresh token after a family's first was issued by a
   * refresh. Hours since the epoch, not date_trunc: the database's time zone cannot shift them.
   */
  rotationsByHour(tenantId: string, since: Date): Promise<Array<{ hour: number; count: number }>> {
    return this.dataSource.query(
      `SELECT floor(extract(epoch FROM created_at) / 3600)::int AS hour, count(*)::int AS count FROM refresh_tokens
       WHERE tenant_id = $1 AND generation > 0 AND created_at >= $2 GROUP BY 1`,
      [tenantId, since],
    );
  }

  /**
   * Up to 100 sessions no longer alive but not yet ended (past their idle or absolute expiry),
   * locked so that of several instances sweeping together one ends each.
   */
  lockExpired(em: EntityManager): Promise<Array<{ id: string; tenantId: string }>> {
    return em.query(
      `SELECT s.id, s.tenant_id AS "tenantId" FROM sessions s WHERE s.revoked_at IS NULL AND NOT (${ALIVE})
       ORDER BY s.idle_expires_at LIMIT 100 FOR UPDATE SKIP LOCKED`,
    );
  }
}

/** What decides whether a validly signed access token is still live: its claims and its key. */
export interface AccessTokenFacts {
  jti: string;
  sid?: string;
  clientId: string;
  iat: number;
  /** The family it was minted from (`family_id`); absent on tokens from before the claim. */
  familyId?: string;
  /** The key its header names. */
  kid?: string;
  sub: string;
  aud: string[];
}

export interface RefreshTokenState {
  id: string;
  familyId: string;
  sessionId: string;
  userId: string;
  clientId: string;
  resources: FamilyResource[];
  scopes: string[];
  iat: number;
  exp: number;
  isActive: boolean;
}
