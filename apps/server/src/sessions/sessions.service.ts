import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { JWTPayload } from 'jose';
import { DataSource, type EntityManager } from 'typeorm';
import type { EffectivePolicy, SessionEndReason, SessionHistoryPageView } from '@tessera/contracts';
import { AuditService } from '../audit';
import { APP_CONFIG, type AppConfig } from '../config';
import { ReadRouter, retryOnConflict } from '../database';
import { RevocationService } from '../revocation';
import { NotFound, ValidationFailed } from '../errors';
import { isUuid } from '../http';
import { randomToken, SecretsService } from '../secrets';
import {
  SessionsRepository,
  type AccessTokenFacts,
  type SessionRow,
  type SurfaceRow,
} from './sessions.repository';
import {
  endedByView,
  endedSessionView,
  sessionView,
  type SessionDetailView,
  type SessionView,
} from './session.view';

export interface ClientContext {
  ip: string | null;
  userAgent: string | null;
}

export interface SessionPage {
  items: SessionView[];
  /** Opaque; pass as `cursor` for the next page. */
  nextCursor: string | null;
}

/** How a session ends; the session history lists and filters by it. */
export type RevocationReason = SessionEndReason;

export type SessionHistoryPage = SessionHistoryPageView;

const DAY_SECONDS = 86_400;

function cursorProblem(): ValidationFailed {
  return new ValidationFailed([{ path: ['cursor'], detail: 'Not a cursor this API returned' }]);
}

/** Server-side sessions: what a browser's cookie names, and what every refresh is checked against. */
@Injectable()
export class SessionsService {
  constructor(
    private readonly repo: SessionsRepository,
    private readonly secrets: SecretsService,
    private readonly audit: AuditService,
    private readonly dataSource: DataSource,
    private readonly revocation: RevocationService,
    private readonly reads: ReadRouter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** A new session with a fresh cookie value (never one the browser brought: no fixation). */
  async create(
    em: EntityManager,
    tenantId: string,
    userId: string,
    policy: EffectivePolicy,
    client: ClientContext,
  ): Promise<{ sessionId: string; cookie: string }> {
    const cookie = randomToken();
    const sessionId = randomUUID();
    await this.repo.insertSession(em, {
      id: sessionId,
      tenantId,
      userId,
      cookieHash: this.secrets.tokenHash(cookie),
      idleTtl: policy.sessionIdleTtl,
      absoluteTtl: policy.sessionAbsoluteTtl,
      ip: client.ip,
      userAgent: client.userAgent?.slice(0, 500) ?? null,
    });
    return { sessionId, cookie };
  }

  /** The live session a browser's cookie names in this tenant, if any. */
  async fromCookie(tenantId: string, cookie: string | undefined): Promise<SessionRow | undefined> {
    if (!cookie || cookie.length > 100) return undefined;
    return this.repo.aliveByCookie(tenantId, this.secrets.tokenHash(cookie));
  }

  /** An application uses the session: it becomes (or stays) one of its surfaces; sliding moves idle expiry. */
  async use(
    em: EntityManager,
    tenantId: string,
    sessionId: string,
    applicationId: string,
    policy: EffectivePolicy,
  ): Promise<void> {
    await this.repo.touchSession(em, sessionId, policy.sliding ? policy.sessionIdleTtl : null);
    await this.repo.touchSurface(em, tenantId, sessionId, applicationId);
  }

  /** Whether a live session belongs to this user. */
  private async ownedBy(tenantId: string, sessionId: string, userId: string): Promise<boolean> {
    const s = await this.repo.sessionById(tenantId, sessionId);
    return !!s && s.userId === userId && !s.revokedAt && (await this.isLive(tenantId, sessionId));
  }

  /** Live: not ended, not expired (idle or absolute, by the database clock), user enabled. */
  isLive(tenantId: string, sessionId: string): Promise<boolean> {
    return isUuid(sessionId) ? this.repo.isLive(tenantId, sessionId) : Promise.resolve(false);
  }

  /** An access token whose signature checked out: its session live and nothing revoking it. */
  isAccessTokenLive(tenantId: string, t: AccessTokenFacts): Promise<boolean> {
    if (t.sid !== undefined && !isUuid(t.sid)) return Promise.resolve(false);
    if (t.familyId !== undefined && !isUuid(t.familyId)) return Promise.resolve(false);
    return this.repo.isAccessTokenLive(tenantId, t);
  }

  /**
   * The same for a token's verified claims (RFC 9068) and its header's `kid`: a token lacking a
   * claim the check needs is not live. Introspection and token exchange both ask this.
   */
  areClaimsLive(tenantId: string, c: JWTPayload, kid?: string): Promise<boolean> {
    if (
      typeof c.jti !== 'string' ||
      typeof c.sub !== 'string' ||
      typeof c.client_id !== 'string' ||
      typeof c.iat !== 'number'
    )
      return Promise.resolve(false);
    return this.isAccessTokenLive(tenantId, {
      jti: c.jti,
      sid: typeof c.sid === 'string' ? c.sid : undefined,
      clientId: c.client_id,
      iat: c.iat,
      familyId: typeof c.family_id === 'string' ? c.family_id : undefined,
      kid,
      sub: c.sub,
      aud: typeof c.aud === 'string' ? [c.aud] : (c.aud ?? []),
    });
  }

  isAlive(em: EntityManager, sessionId: string): Promise<boolean> {
    return this.repo.isAlive(em, sessionId);
  }

  /**
   * Ends a session and all its refresh-token families, in the caller's transaction: the feed event,
   * the back-channel logouts and the audit entry commit with it or not at all.
   */
  async revokeIn(
    em: EntityManager,
    tenantId: string,
    sessionId: string,
    reason: RevocationReason,
    by?: { clientId?: string; userId?: string; admin?: string; note?: string },
  ): Promise<boolean> {
    await this.revocation.lockTenant(em, tenantId); // before the session's rows
    // who ended it, for the history: the administrator, or the user signing themselves out (a
    // reuse names the user too, but the server ended that session, not them)
    const endedBy = by?.admin ?? (reason === 'logout' ? by?.userId : undefined) ?? null;
    const ended = await this.repo.revokeSession(em, sessionId, reason, endedBy);
    if (!ended) return false;
    await this.revocation.sessionEnded(em, tenantId, { sid: sessionId, sub: ended.userId, reason });
    await this.audit.record(em, {
      tenantId,
      type: 'session_revoked',
      sessionId,
      userId: ended.userId,
      clientId: by?.clientId,
      detail: {
        reason,
        byUser: by?.userId ?? null,
        byAdmin: by?.admin ?? null,
        note: by?.note ?? null,
      },
    });
    return true;
  }

  /** The user signs out (RP-initiated logout): these sessions end, in one transaction. */
  async endByLogout(tenantId: string, sessionIds: string[]): Promise<void> {
    await this.dataSource.transaction(async (em) => {
      for (const id of new Set(sessionIds)) await this.revokeIn(em, tenantId, id, 'logout');
    });
  }

  /**
   * A user ends one of their own sessions; another user's session, or one no longer live, is not
   * found (as if it never existed).
   */
  async endOwn(tenantId: string, userId: string, sessionId: string): Promise<void> {
    if (!(isUuid(sessionId) && (await this.ownedBy(tenantId, sessionId, userId))))
      throw new NotFound('Session');
    await this.dataSource.transaction((em) =>
      this.revokeIn(em, tenantId, sessionId, 'logout', { userId }),
    );
  }

  /** A user ends every session of theirs but the one they are using, in one transaction. */
  async endOthersOwn(tenantId: string, userId: string, currentSessionId: string): Promise<void> {
    const page = await this.list(tenantId, { userId, limit: 200 });
    await this.dataSource.transaction(async (em) => {
      for (const s of page.items)
        if (s.id !== currentSessionId)
          await this.revokeIn(em, tenantId, s.id, 'logout', { userId });
    });
  }

  /** An administrator ends a session; their note goes to the audit log. */
  async revokeByAdmin(
    tenantId: string,
    sessionId: string,
    o: { by: string; note?: string },
  ): Promise<void> {
    const s = await this.repo.sessionById(tenantId, sessionId);
    if (!s) throw new NotFound('Session');
    await retryOnConflict(() =>
      this.dataSource.transaction((em) =>
        this.revokeIn(em, tenantId, sessionId, 'admin', { admin: o.by, note: o.note }),
      ),
    );
  }

  async revoke(tenantId: string, sessionId: string, reason: RevocationReason): Promise<void> {
    const s = await this.repo.sessionById(tenantId, sessionId);
    if (!s) throw new NotFound('Session');
    await retryOnConflict(() =>
      this.dataSource.transaction((em) => this.revokeIn(em, tenantId, sessionId, reason)),
    );
  }

  /**
   * An application is no longer signed in to a session that lives on for the others: it is told
   * (back-channel logout, OpenID Connect Back-Channel Logout 1.0 §2.5, for its sign-in only) and
   * the surface goes. Its families' events are the caller's, in the same transaction.
   */
  async endSurfaceIn(em: EntityManager, sessionId: string, applicationId: string): Promise<void> {
    await this.revocation.surfaceEnded(em, { sid: sessionId, applicationId });
    await this.repo.removeSurface(em, sessionId, applicationId);
  }

  /** Every session of a tenant not yet ended (the tenant is deleted). Returns how many ended. */
  async revokeAllOfTenant(
    em: EntityManager,
    tenantId: string,
    reason: RevocationReason,
  ): Promise<number> {
    await this.revocation.lockTenant(em, tenantId);
    const ids = await this.repo.liveSessionIdsOfTenant(em, tenantId);
    for (const id of ids) await this.revokeIn(em, tenantId, id, reason);
    return ids.length;
  }

  /** Every live session of a user (sign-out-everywhere, a disabled user). Returns how many ended. */
  async revokeAllOfUser(
    em: EntityManager,
    tenantId: string,
    userId: string,
    reason: RevocationReason,
    by?: { admin?: string },
  ): Promise<number> {
    await this.revocation.lockTenant(em, tenantId);
    const ids = await this.repo.liveSessionIdsOfUser(em, tenantId, userId);
    for (const id of ids) await this.revokeIn(em, tenantId, id, reason, by);
    // every session just ended has its own event; this one reaches the subject's tokens that name
    // no session, so a sign-in right after it (a new session) is never cut
    await this.revocation.userSignedOut(em, tenantId, { sub: userId, reason });
    return ids.length;
  }

  async list(
    tenantId: string,
    f: { userId?: string; applicationId?: string; limit: number; cursor?: string },
  ): Promise<SessionPage> {
    let after: { lastSeenAt: Date; id: string } | undefined;
    if (f.cursor) {
      try {
        const [t, id] = JSON.parse(Buffer.from(f.cursor, 'base64url').toString('utf8')) as [
          string,
          string,
        ];
        after = { lastSeenAt: new Date(t), id };
        if (Number.isNaN(after.lastSeenAt.getTime()) || !isUuid(id)) throw new Error('bad cursor');
      } catch {
        throw cursorProblem();
      }
    }
    return this.pageOf(
      (m, limit) => this.repo.listSessions(m, tenantId, { ...f, limit, after }),
      f.limit,
      sessionView,
      (last) => [last.lastSeenAt.toISOString(), last.id],
    );
  }

  /**
   * One page of a session listing: a row more than the page to know whether another follows, the
   * page's surfaces, both read from the same side (a listing may come from the replica: it lags by
   * at most a second, and never past a revocation this instance has heard of), and the next page's
   * cursor from the page's last row.
   */
  private async pageOf<R extends { id: string }, V>(
    list: (m: EntityManager, limit: number) => Promise<R[]>,
    limit: number,
    view: (row: R, surfaces: SurfaceRow[]) => V,
    cursorOf: (last: R) => string[],
  ): Promise<{ items: V[]; nextCursor: string | null }> {
    const { rows, surfaces } = await this.reads.read(async (ds) => {
      const rows = await list(ds.manager, limit + 1);
      const surfaces = await this.repo.surfacesOf(
        ds.manager,
        rows.slice(0, limit).map((r) => r.id),
      );
      return { rows, surfaces };
    });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map((r) =>
        view(
          r,
          surfaces.filter((s) => s.sessionId === r.id),
        ),
      ),
      nextCursor:
        rows.length > limit && last
          ? Buffer.from(JSON.stringify(cursorOf(last))).toString('base64url')
          : null,
    };
  }

  /** How many days an ended session is kept (the retention job deletes it after that). */
  get historyDays(): number {
    return this.config.retention.sessionHistoryDays;
  }

  /**
   * The tenant's ended sessions, most recently ended first, as long as the retention job keeps them
   * (TESSERA_RETENTION_SESSION_HISTORY_DAYS). `from` and `to` bound when they ended.
   */
  async history(
    tenantId: string,
    f: {
      userId?: string;
      applicationId?: string;
      reason?: RevocationReason;
      from?: Date;
      to?: Date;
      limit: number;
      cursor?: string;
    },
  ): Promise<SessionHistoryPage> {
    let after: { endedAtMicros: string; id: string } | undefined;
    if (f.cursor) {
      try {
        const [micros, id] = JSON.parse(Buffer.from(f.cursor, 'base64url').toString('utf8')) as [
          unknown,
          unknown,
        ];
        if (typeof micros !== 'string' || !/^\d{1,19}$/.test(micros) || typeof id !== 'string')
          throw new Error('bad cursor');
        if (!isUuid(id)) throw new Error('bad cursor');
        after = { endedAtMicros: micros, id };
      } catch {
        throw cursorProblem();
      }
    }
    const keptDays = this.historyDays;
    const page = await this.pageOf(
      (m, limit) =>
        this.repo.listEndedSessions(m, tenantId, {
          ...f,
          keptSeconds: keptDays * DAY_SECONDS,
          limit,
          after,
        }),
      f.limit,
      endedSessionView,
      (last) => [last.endedAtMicros, last.id],
    );
    return { ...page, keptDays };
  }

  async detail(tenantId: string, id: string): Promise<SessionDetailView> {
    const s = isUuid(id) ? await this.repo.sessionById(tenantId, id) : undefined;
    if (!s) throw new NotFound('Session');
    const families = await this.repo.familiesOf(s.id);
    const tokens = await this.repo.tokensOf(families.map((f) => f.id));
    return {
      ...sessionView(s, await this.repo.surfacesOf(undefined, [s.id])),
      revokedAt: s.revokedAt?.toISOString() ?? null,
      revocationReason: s.revocationReason,
      revokedBy: endedByView(s),
      families: families.map((f) => ({
        id: f.id,
        clientId: f.clientId,
        createdAt: f.createdAt.toISOString(),
        absoluteExpiresAt: f.absoluteExpiresAt.toISOString(),
        revokedAt: f.revokedAt?.toISOString() ?? null,
        revocationReason: f.revocationReason,
        scopes: f.scopes,
        resources: f.resources.map((r) => ({ identifier: r.identifier, scopes: r.scopes })),
        tokens: tokens
          .filter((t) => t.familyId === f.id)
          .map((t) => ({
            generation: t.generation,
            issuedAt: t.createdAt.toISOString(),
            usedAt: t.usedAt?.toISOString() ?? null,
            idleExpiresAt: t.idleExpiresAt.toISOString(),
            graceReplays: t.graceReplays,
          })),
      })),
    };
  }

  /** How many of the tenant's sessions are alive now. */
  countAlive(tenantId: string): Promise<number> {
    return this.repo.countAlive(tenantId);
  }

  /** Refreshes (rotations) per hour since `since`; `hour` counts hours since the epoch. */
  rotationsByHour(tenantId: string, since: Date): Promise<Array<{ hour: number; count: number }>> {
    return this.repo.rotationsByHour(tenantId, since);
  }

  /**
   * Sessions past their expiry and not yet ended, locked in the caller's transaction so that one
   * instance ends each (the back-channel worker's sweep then ends them with revokeIn).
   */
  lockExpired(em: EntityManager): Promise<Array<{ id: string; tenantId: string }>> {
    return this.repo.lockExpired(em);
  }
}
