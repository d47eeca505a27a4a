import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config';
import { hotQuery, namedStatementsAllowed, ReadRouter, run } from '../database';
import { Metrics } from '../metrics';
import { StatementBatcher } from './statement-batcher';
import {
  ACCESS_TOKENS_LIVE,
  COUNT_ALIVE,
  LOCK_EXPIRED,
  ROTATIONS_BY_HOUR,
  CHILD_OF,
  COUNT_GRACE_REPLAY,
  EXPIRE_CODES_OF_APPLICATION,
  EXPIRE_CODES_OF_RESOURCE_SERVER,
  EXTEND_TOKEN_IDLE,
  FAMILIES_OF,
  INSERT_CODE,
  INSERT_FAMILY,
  INSERT_REFRESH_TOKEN,
  INSERT_SESSION,
  listEndedSessions,
  listSessions,
  LIVE_FAMILIES_OF_APPLICATION,
  LIVE_FAMILIES_OF_RESOURCE_SERVER,
  LIVE_SESSIONS_OF_TENANT,
  LIVE_SESSIONS_OF_USER,
  LOCK_CODE,
  LOCK_REFRESH_TOKEN,
  MARK_CODE_USED,
  MARK_TOKEN_USED,
  REFRESH_TOKEN_STATE,
  REMOVE_SURFACE,
  REVOKE_FAMILY,
  REVOKE_SESSION,
  REVOKE_SESSION_FAMILIES,
  ROTATE,
  SESSION_BY_COOKIE,
  SESSION_BY_ID,
  SESSION_IS_ALIVE,
  SESSION_LIVE,
  SESSIONS_OF_APPLICATION,
  SURFACES_OF,
  TOKENS_OF,
  TOUCH_SESSION,
  TOUCH_SURFACE,
  type CodeRequest,
  type FamilyResource,
  type FamilyRow,
  type LiveFamily,
  type LockedCode,
  type LockedRefreshToken,
  type RefreshTokenState,
  type RotatedFamily,
  type EndedSessionFilters,
  type EndedSessionRow,
  type SessionFilters,
  type SessionRow,
  type SessionViewRow,
  type SurfaceRow,
  type TokenRow,
} from './sessions.sql';

// the row types live with their statements; re-exported for this module's services
export type {
  CodeRequest,
  HeldPermission,
  LockedCode,
  LockedRefreshToken,
  RefreshTokenState,
  RotatedFamily,
  SessionRow,
  SurfaceRow,
  SessionViewRow,
  EndedSessionRow,
} from './sessions.sql';

/**
 * Runs the statements of `sessions.sql.ts`, which holds each one whole. The rotation's single
 * statement (ROTATE) and the per-request liveness checks are hot: hotQuery prepares them by name
 * on a server reached directly and sends them unnamed behind a pooler.
 */
/** One rotation of the one-statement path (ROTATE's parameters for one presented token). */
export interface Rotation {
  tenantId: string;
  tokenHash: Buffer;
  applicationId: string;
  successorId: string;
  successorHash: Buffer;
  idleTtl: number;
  slideBy: number | null;
  /** The thumbprint of the request's DPoP key, if it has a proof: a bound family needs its own. */
  dpopJkt: string | null;
}

/**
 * Rotation statements in flight at once per instance; rotations arriving meanwhile go out together
 * in the next one (group commit). Chosen by measurement: bench/README.md, "Group commit".
 */
const ROTATIONS_IN_FLIGHT = 2;
/** Rotations in one statement at most: a bound on its locks and on its parameters' size. */
const ROTATION_BATCH_MAX = 64;
/**
 * Liveness statements of access tokens in flight at once per instance; the checks arriving
 * meanwhile go out together in the next one. Chosen by measurement: bench/README.md, "Group commit".
 */
const LIVENESS_CHECKS_IN_FLIGHT = 2;
/** Liveness checks in one statement at most: a bound on its parameter's size. */
const LIVENESS_BATCH_MAX = 64;

@Injectable()
export class SessionsRepository {
  /** Hot statements as named prepared statements: a server reached directly (see hotQuery). */
  private readonly isNamed: boolean;
  private readonly rotations: StatementBatcher<Rotation, RotatedFamily>;
  private readonly livenessChecks: StatementBatcher<LivenessCheck, boolean>;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly reads: ReadRouter,
    metrics: Metrics,
  ) {
    this.isNamed = namedStatementsAllowed(config);
    this.rotations = new StatementBatcher(
      (items) => this.rotateBatch(items),
      ROTATIONS_IN_FLIGHT,
      ROTATION_BATCH_MAX,
      {
        keyOf: (r) => r.tokenHash.toString('base64'),
        batch: (size) => metrics.rotationBatchSize.observe(size),
        failure: () => metrics.rotationBatchFailures.inc(),
      },
    );
    // a read: one token may be checked twice in a batch, so no key
    this.livenessChecks = new StatementBatcher(
      (items) => this.livenessBatch(items),
      LIVENESS_CHECKS_IN_FLIGHT,
      LIVENESS_BATCH_MAX,
      {
        batch: (size) => metrics.introspectionBatchSize.observe(size),
        waiting: (count) => metrics.introspectionChecksWaiting.set(count),
        failure: () => metrics.introspectionBatchFailures.inc(),
      },
    );
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
    await run(em, INSERT_SESSION, [
      s.id,
      s.tenantId,
      s.userId,
      s.cookieHash,
      s.idleTtl,
      s.absoluteTtl,
      s.ip,
      s.userAgent,
    ]);
  }

  /** The live session a cookie names, in this tenant, for an enabled user. */
  async aliveByCookie(tenantId: string, cookieHash: Buffer): Promise<SessionRow | undefined> {
    const rows = await run(this.m(), SESSION_BY_COOKIE, [cookieHash, tenantId]);
    return rows[0];
  }

  async isAlive(em: EntityManager, sessionId: string): Promise<boolean> {
    const rows = await run(em, SESSION_IS_ALIVE, [sessionId]);
    return rows.length > 0;
  }

  /** Last seen now; with sliding, the idle expiry moves forward, never past the absolute one. */
  async touchSession(em: EntityManager, sessionId: string, slideBy: number | null): Promise<void> {
    await run(em, TOUCH_SESSION, [sessionId, slideBy]);
  }

  async touchSurface(
    em: EntityManager,
    tenantId: string,
    sessionId: string,
    applicationId: string,
  ): Promise<void> {
    await run(em, TOUCH_SURFACE, [sessionId, applicationId, tenantId]);
  }

  async insertCode(
    em: EntityManager,
    c: CodeRequest & { id: string; codeHash: Buffer; ttl: number },
  ): Promise<void> {
    await run(em, INSERT_CODE, [
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
    ]);
  }

  async lockCode(
    em: EntityManager,
    tenantId: string,
    codeHash: Buffer,
  ): Promise<LockedCode | undefined> {
    const rows = await run(em, LOCK_CODE, [codeHash, tenantId]);
    return rows[0];
  }

  async markCodeUsed(em: EntityManager, codeId: string, familyId: string | null): Promise<void> {
    await run(em, MARK_CODE_USED, [codeId, familyId]);
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
      dpopJkt: string | null;
    },
  ): Promise<void> {
    await run(em, INSERT_FAMILY, [
      f.id,
      f.tenantId,
      f.sessionId,
      f.applicationId,
      f.userId,
      JSON.stringify(f.scopes),
      JSON.stringify(f.resources),
      f.absoluteTtl,
      f.dpopJkt,
    ]);
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
    await run(em, INSERT_REFRESH_TOKEN, [
      t.id,
      t.tenantId,
      t.familyId,
      t.tokenHash,
      t.generation,
      t.parentId,
      t.idleTtl,
    ]);
  }

  /** The presented refresh token with its family and session, locking the token and its family. */
  async lockRefreshToken(
    em: EntityManager,
    tenantId: string,
    tokenHash: Buffer,
  ): Promise<LockedRefreshToken | undefined> {
    const rows = await run(em, LOCK_REFRESH_TOKEN, [tokenHash, tenantId]);
    return rows[0];
  }

  /**
   * A whole rotation in one statement (ROTATE), for the common case, sent together with the
   * rotations that arrive while another is in flight (StatementBatcher: group commit). Returns
   * nothing, and changes nothing, when any condition fails: the caller then takes the
   * transactional path, which tells why.
   */
  rotate(r: Rotation): Promise<RotatedFamily | undefined> {
    return this.rotations.submit(r);
  }

  private async rotateBatch(items: Rotation[]): Promise<Map<number, RotatedFamily>> {
    const rows = await hotQuery(this.dataSource, this.isNamed, ROTATE, [
      items.map((r) => r.tokenHash),
      items.map((r) => r.tenantId),
      items.map((r) => r.applicationId),
      items.map((r) => r.successorId),
      items.map((r) => r.successorHash),
      items.map((r) => r.idleTtl),
      items.map((r) => r.slideBy),
      items.map((r) => r.dpopJkt),
    ]);
    const out = new Map<number, RotatedFamily>();
    for (const { n, issued, ...family } of rows) if (issued === 1) out.set(n - 1, family);
    return out;
  }

  async childOf(
    em: EntityManager,
    tokenId: string,
  ): Promise<{ id: string; tokenHash: Buffer; isUsed: boolean } | undefined> {
    const rows = await run(em, CHILD_OF, [tokenId]);
    return rows[0];
  }

  async markTokenUsed(em: EntityManager, tokenId: string): Promise<void> {
    await run(em, MARK_TOKEN_USED, [tokenId]);
  }

  async countGraceReplay(em: EntityManager, tokenId: string): Promise<void> {
    await run(em, COUNT_GRACE_REPLAY, [tokenId]);
  }

  /** Rotation off: the same token lives on; each use restarts its idle time, within the family's life. */
  async extendTokenIdle(em: EntityManager, tokenId: string, idleTtl: number): Promise<void> {
    await run(em, EXTEND_TOKEN_IDLE, [tokenId, idleTtl]);
  }

  async revokeFamily(em: EntityManager, familyId: string, reason: string): Promise<void> {
    await run(em, REVOKE_FAMILY, [familyId, reason]);
  }

  /** Ends a session and every family in it, in the caller's transaction. Returns its user when it was live. */
  async revokeSession(
    em: EntityManager,
    sessionId: string,
    reason: string,
    by: string | null,
  ): Promise<{ userId: string } | undefined> {
    await run(em, REVOKE_SESSION_FAMILIES, [sessionId, reason]);
    // an UPDATE … RETURNING answers [rows, affected count]
    const result: unknown = await em.query(REVOKE_SESSION.text, [sessionId, reason, by]);
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
  sessionsOfApplication(
    em: EntityManager,
    tenantId: string,
    applicationId: string,
  ): Promise<Array<{ id: string; userId: string; hasOtherSurfaces: boolean }>> {
    return run(em, SESSIONS_OF_APPLICATION, [tenantId, applicationId]);
  }

  /**
   * Live families (not revoked) of an application, or granted a resource server, locked. Families
   * are locked before their sessions, in the order a rotation takes them, so the two cannot deadlock.
   */
  liveFamilies(
    em: EntityManager,
    tenantId: string,
    of: { applicationId: string } | { resourceServerId: string },
  ): Promise<LiveFamily[]> {
    return 'applicationId' in of
      ? run(em, LIVE_FAMILIES_OF_APPLICATION, [tenantId, of.applicationId])
      : run(em, LIVE_FAMILIES_OF_RESOURCE_SERVER, [tenantId, of.resourceServerId]);
  }

  /** An application is no longer signed in to a session (the session lives on). */
  async removeSurface(em: EntityManager, sessionId: string, applicationId: string): Promise<void> {
    await run(em, REMOVE_SURFACE, [sessionId, applicationId]);
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
    await ('applicationId' in of
      ? run(em, EXPIRE_CODES_OF_APPLICATION, [tenantId, of.applicationId])
      : run(em, EXPIRE_CODES_OF_RESOURCE_SERVER, [tenantId, of.resourceServerId]));
  }

  /** Every session of a tenant not yet ended, locked. */
  async liveSessionIdsOfTenant(em: EntityManager, tenantId: string): Promise<string[]> {
    const rows = await run(em, LIVE_SESSIONS_OF_TENANT, [tenantId]);
    return rows.map((r) => r.id);
  }

  async liveSessionIdsOfUser(
    em: EntityManager,
    tenantId: string,
    userId: string,
  ): Promise<string[]> {
    const rows = await run(em, LIVE_SESSIONS_OF_USER, [tenantId, userId]);
    return rows.map((r) => r.id);
  }

  /** `em`: the replica's or the primary's manager (ReadRouter), or the default one. */
  listSessions(
    em: EntityManager | undefined,
    tenantId: string,
    f: SessionFilters,
  ): Promise<SessionViewRow[]> {
    const q = listSessions(tenantId, f);
    return this.m(em).query(q.text, q.values);
  }

  /** A page of the tenant's ended sessions; `em` as for listSessions. */
  listEndedSessions(
    em: EntityManager | undefined,
    tenantId: string,
    f: EndedSessionFilters,
  ): Promise<EndedSessionRow[]> {
    const q = listEndedSessions(tenantId, f);
    return this.m(em).query(q.text, q.values);
  }

  async sessionById(tenantId: string, id: string): Promise<SessionViewRow | undefined> {
    const rows = await run(this.m(), SESSION_BY_ID, [tenantId, id]);
    return rows[0];
  }

  surfacesOf(em: EntityManager | undefined, sessionIds: string[]): Promise<SurfaceRow[]> {
    if (!sessionIds.length) return Promise.resolve([]);
    return run(this.m(em), SURFACES_OF, [sessionIds]);
  }

  familiesOf(sessionId: string): Promise<FamilyRow[]> {
    return run(this.m(), FAMILIES_OF, [sessionId]);
  }

  tokensOf(familyIds: string[]): Promise<TokenRow[]> {
    if (!familyIds.length) return Promise.resolve([]);
    return run(this.m(), TOKENS_OF, [familyIds]);
  }

  /** A refresh token's state for introspection and revocation (no lock). */
  async refreshTokenState(
    tenantId: string,
    tokenHash: Buffer,
  ): Promise<RefreshTokenState | undefined> {
    const rows = await run(this.m(), REFRESH_TOKEN_STATE, [tokenHash, tenantId]);
    const r = rows[0];
    return r ? { ...r, iat: Number(r.iat), exp: Number(r.exp) } : undefined;
  }

  /** Whether the session a token names is live (not ended, not expired, user enabled). */
  async isLive(tenantId: string, sessionId: string): Promise<boolean> {
    const rows = await hotQuery(this.dataSource, this.isNamed, SESSION_LIVE, [sessionId, tenantId]);
    return rows.length > 0;
  }

  /**
   * Whether an access token is live after its signature checked out, in one statement: its session
   * (when it names one) live and its user enabled, and no revocation event covering it. The checks
   * that arrive while others are in flight go out together, one statement for all of them
   * (StatementBatcher); a batch whose statement failed is asked again one token a statement, so
   * each caller gets its own answer or its own error.
   */
  async isAccessTokenLive(tenantId: string, t: AccessTokenFacts): Promise<boolean> {
    const check = { tenantId, ...t };
    return (
      (await this.livenessChecks.submit(check)) ??
      (await this.livenessBatch([check])).get(0) === true
    );
  }

  /**
   * Each check's answer by its index. Read from the replica when it may answer; only its "live" is
   * taken from there: the tokens it does not find live (perhaps a session it has not replayed
   * yet) are asked again of the primary, in one statement, so lag never turns into a refusal, and
   * a revocation announced to this instance keeps the replica out until it has replayed it
   * (ReadRouter).
   */
  private async livenessBatch(items: LivenessCheck[]): Promise<Map<number, boolean>> {
    const live = new Set<number>();
    await this.reads.read(
      // run on the replica, then (when it did not find them all live) on the primary: each run
      // asks only for the checks not yet found live
      async (ds) => {
        const ask = items.flatMap((_, i) => (live.has(i) ? [] : [i]));
        const rows = await hotQuery(ds, this.isNamed, ACCESS_TOKENS_LIVE, [
          JSON.stringify(
            ask.map((i) => {
              const c = items[i];
              return {
                tenant_id: c.tenantId,
                sid: c.sid ?? null,
                jti: c.jti,
                client_id: c.clientId,
                iat: c.iat,
                family_id: c.familyId ?? null,
                kid: c.kid ?? null,
                sub: c.sub,
                aud: c.aud,
              };
            }),
          ),
        ]);
        for (const { n } of rows) live.add(ask[n - 1]);
        return live;
      },
      (found) => found.size === items.length,
    );
    return new Map(items.map((_, i) => [i, live.has(i)]));
  }

  /** How many of a tenant's sessions are alive now (the admin overview's count). */
  async countAlive(tenantId: string): Promise<number> {
    const rows = await run(this.m(), COUNT_ALIVE, [tenantId]);
    return rows[0].n;
  }

  /** Rotations per hour since `since` (hours since the epoch). */
  rotationsByHour(tenantId: string, since: Date): Promise<Array<{ hour: number; count: number }>> {
    return run(this.m(), ROTATIONS_BY_HOUR, [tenantId, since]);
  }

  /**
   * Up to 100 sessions no longer alive but not yet ended (past their idle or absolute expiry),
   * locked so that of several instances sweeping together one ends each.
   */
  lockExpired(em: EntityManager): Promise<Array<{ id: string; tenantId: string }>> {
    return run(em, LOCK_EXPIRED, []);
  }
}

/** One access token to check, with the tenant it was presented to. */
type LivenessCheck = AccessTokenFacts & { tenantId: string };

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
