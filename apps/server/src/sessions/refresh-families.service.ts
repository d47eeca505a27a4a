import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import type { EffectivePolicy } from '@tessera/contracts';
import { AuditService } from '../audit';
import { retryOnConflict } from '../database';
import { InvalidGrant, OAuthError } from '../errors';
import { RevocationService } from '../revocation';
import { randomToken, SecretsService } from '../secrets';
import { verifierMatches } from './pkce';
import type { FamilyResource } from './session.entity';
import {
  SessionsRepository,
  type CodeRequest,
  type HeldPermission,
  type LockedRefreshToken,
} from './sessions.repository';
import { SessionsService, type ClientContext, type RevocationReason } from './sessions.service';

/** RFC 6749 §4.1.2 recommends at most 10 minutes; ASVS L3 and this product: 60 s. */
export const CODE_TTL_SECONDS = 60;

/** What a redeemed code or a refresh hands to the token endpoint to mint an access token (and an ID token). */
export interface RedeemedFamily {
  familyId: string;
  sessionId: string;
  userId: string;
  scopes: string[];
  resources: FamilyResource[];
  authTime: Date;
  /**
   * When the redemption or refresh was decided, by the database's clock (epoch seconds): the access token's `iat`.
   * A revocation's cut is taken by the same clock after the family's lock, so a token minted before
   * the cut is always older than it, whatever the minting instance's clock says (FT-11).
   */
  issuedAt: number;
  nonce?: string | null;
  refreshToken?: string;
  /** The user's permission on the resource, when the redemption already read it (null: none). */
  permission?: HeldPermission | null;
}

/** What ending an application's sign-ins ended. */
export interface EndedSignIns {
  /** Sessions the application was signed in to: its sign-in to each ended. */
  sessions: number;
  /** Of those, the sessions that ended whole: the application was the only one signed in to them. */
  sessionsEnded: number;
  /** Refresh-token families revoked. */
  families: number;
}

/**
 * Authorization codes and the refresh-token families they start: issue, redeem, rotate, revoke.
 * Every decision is taken inside one transaction holding the family's row lock, and refusals that
 * must leave a trace (reuse) are returned from the transaction and thrown after its commit.
 */
@Injectable()
export class RefreshFamiliesService {
  constructor(
    private readonly repo: SessionsRepository,
    private readonly sessions: SessionsService,
    private readonly secrets: SecretsService,
    private readonly audit: AuditService,
    private readonly dataSource: DataSource,
    private readonly revocation: RevocationService,
  ) {}

  async issueCode(em: EntityManager, r: CodeRequest): Promise<string> {
    const code = randomToken();
    await this.repo.insertCode(em, {
      id: randomUUID(),
      codeHash: this.secrets.tokenHash(code),
      ttl: CODE_TTL_SECONDS,
      ...r,
    });
    return code;
  }

  private async startFamily(
    em: EntityManager,
    tenantId: string,
    applicationId: string,
    c: { sessionId: string; userId: string; scopes: string[]; resources: FamilyResource[] },
    policy: EffectivePolicy,
    withRefresh: boolean,
    dpopJkt: string | null,
  ) {
    const familyId = randomUUID();
    await this.repo.insertFamily(em, {
      id: familyId,
      tenantId,
      applicationId,
      sessionId: c.sessionId,
      userId: c.userId,
      scopes: c.scopes,
      resources: c.resources,
      absoluteTtl: policy.refreshAbsoluteTtl,
      dpopJkt,
    });
    if (!withRefresh) return { familyId };
    const refreshToken = randomToken();
    await this.repo.insertRefreshToken(em, {
      id: randomUUID(),
      tenantId,
      familyId,
      tokenHash: this.secrets.tokenHash(refreshToken),
      generation: 0,
      parentId: null,
      idleTtl: policy.refreshIdleTtl,
    });
    return { familyId, refreshToken };
  }

  /**
   * RFC 6749 §4.1.3 with PKCE (RFC 7636 §4.6). A code is single use; a second use revokes what the
   * first issued (§4.1.2); a failed redemption also spends the code.
   */
  async redeemCode<S>(
    tenantId: string,
    app: { id: string; clientId: string },
    p: {
      code: string;
      redirectUri: string | undefined;
      codeVerifier: string | undefined;
      policy: EffectivePolicy;
      /** Whether the sign-in gets a refresh token, given what the request selected. */
      withRefresh: (selection: S) => boolean;
      client: ClientContext;
      select: (granted: { resources: FamilyResource[]; scopes: string[] }) => S | OAuthError;
      /** The DPoP key the family's refresh tokens are bound to (RFC 9449 §5), or null. */
      dpopJkt: string | null;
    },
  ): Promise<{ family: RedeemedFamily; selection: S }> {
    const attempt = (revoking: boolean) =>
      this.dataSource.transaction(async (em) => {
        if (revoking) await this.revocation.lockTenant(em, tenantId);
        const code = await this.repo.lockCode(em, tenantId, this.secrets.tokenHash(p.code));
        if (!code) return { kind: 'refused', detail: 'unknown code' } as const;
        if (code.applicationId !== app.id)
          return { kind: 'refused', detail: 'code of another client' } as const; // not spent
        if (code.isUsed) {
          // the code's row is locked: the revocation lock only if free (RevocationService.tryLockTenant)
          if (!revoking && !(await this.revocation.tryLockTenant(em, tenantId)))
            return { kind: 'contended' } as const;
          if (code.familyId)
            await this.revokeFamilyIn(
              em,
              tenantId,
              {
                familyId: code.familyId,
                sid: code.sessionId,
                sub: code.userId,
                clientId: app.clientId,
              },
              'code_reuse',
            );
          await this.audit.record(em, {
            tenantId,
            type: 'code_reuse',
            sessionId: code.sessionId,
            userId: code.userId,
            clientId: app.clientId,
            ip: p.client.ip,
            userAgent: p.client.userAgent,
          });
          return { kind: 'refused', detail: 'code used twice' } as const;
        }
        const spend = async (detail: string) => {
          await this.repo.markCodeUsed(em, code.id, null);
          return { kind: 'refused', detail } as const;
        };
        if (code.isExpired) return spend('expired code');
        if (p.redirectUri !== code.redirectUri) return spend('redirect_uri mismatch');
        if (code.codeChallenge) {
          if (!p.codeVerifier || !verifierMatches(p.codeVerifier, code.codeChallenge))
            return spend('PKCE verification failed');
        } else if (p.codeVerifier !== undefined) {
          return spend('code_verifier without a challenge (PKCE downgrade)'); // RFC 9700 §2.1.1
        }
        if (!(await this.sessions.isAlive(em, code.sessionId))) return spend('session ended');
        const selection = p.select(code);
        if (selection instanceof OAuthError) return { kind: 'invalid', error: selection } as const; // the code stays usable
        const started = await this.startFamily(
          em,
          tenantId,
          app.id,
          code,
          p.policy,
          p.withRefresh(selection),
          p.dpopJkt,
        );
        await this.repo.markCodeUsed(em, code.id, started.familyId);
        await this.sessions.use(em, tenantId, code.sessionId, app.id, p.policy);
        return {
          kind: 'ok',
          selection,
          family: {
            ...started,
            sessionId: code.sessionId,
            userId: code.userId,
            scopes: code.scopes,
            resources: code.resources,
            authTime: code.authTime,
            issuedAt: code.issuedAt,
            nonce: code.nonce,
          },
        } as const;
      });
    let outcome = await attempt(false);
    // a reused code found the revocation lock taken: rolled back, again with the lock first
    if (outcome.kind === 'contended') outcome = await retryOnConflict(() => attempt(true));
    if (outcome.kind === 'contended') throw new Error('unreachable: the revocation lock was held');
    if (outcome.kind === 'invalid') throw outcome.error;
    if (outcome.kind !== 'ok') throw new InvalidGrant({ detail: outcome.detail });
    return { family: outcome.family, selection: outcome.selection };
  }

  /**
   * RFC 6749 §6 with rotation (RFC 9700 §4.14.2). `select` checks the request against the family
   * (resource, scope) before anything is consumed; a failure there leaves the token usable.
   */
  async refresh<S>(
    tenantId: string,
    app: { id: string; clientId: string },
    p: {
      refreshToken: string;
      policy: EffectivePolicy;
      client: ClientContext;
      select: (t: Pick<LockedRefreshToken, 'resources' | 'scopes'>) => S | OAuthError;
      /**
       * The request narrows nothing (no scope, no resource): with a family of at most one resource,
       * `select` cannot refuse it, so the rotation may commit before `select` runs.
       */
      narrowsNothing?: boolean;
      /**
       * The thumbprint of the request's DPoP key where it binds the family (a public client's
       * proof), else null. A bound family refreshes only with a proof of its own key.
       */
      dpopJkt: string | null;
    },
  ): Promise<{ family: RedeemedFamily; selection: S }> {
    if (p.narrowsNothing && p.policy.rotation) {
      // the common case in one statement; anything unusual falls through to the transaction below
      const successor = this.secrets.deriveSuccessor(p.refreshToken);
      const rotated = await this.repo.rotate({
        tenantId,
        tokenHash: this.secrets.tokenHash(p.refreshToken),
        applicationId: app.id,
        successorId: randomUUID(),
        successorHash: this.secrets.tokenHash(successor),
        idleTtl: p.policy.refreshIdleTtl,
        slideBy: p.policy.sliding ? p.policy.sessionIdleTtl : null,
        dpopJkt: p.dpopJkt,
      });
      if (rotated) {
        const selection = p.select(rotated);
        // unreachable by the conditions of rotate(); never hand out a token of a refused request
        if (selection instanceof OAuthError) throw selection;
        return { family: { ...rotated, refreshToken: successor }, selection };
      }
    }
    const attempt = (revoking: boolean) =>
      this.dataSource.transaction(async (em) => {
        if (revoking) await this.revocation.lockTenant(em, tenantId);
        const t = await this.repo.lockRefreshToken(
          em,
          tenantId,
          this.secrets.tokenHash(p.refreshToken),
        );
        if (!t) return { kind: 'refused', detail: 'unknown refresh token' } as const;
        if (t.applicationId !== app.id)
          return { kind: 'refused', detail: 'refresh token of another client' } as const; // not consumed
        if (!t.isFamilyAlive || !t.isSessionAlive)
          return { kind: 'refused', detail: 'family or session ended' } as const;
        // RFC 9449 §5: a bound token without a proof of its key is a stolen one, whoever presents it
        if (t.dpopJkt !== null && t.dpopJkt !== p.dpopJkt) {
          if (!revoking && !(await this.revocation.tryLockTenant(em, tenantId)))
            return { kind: 'contended' } as const;
          await this.onReuse(em, tenantId, t, app.clientId, p.policy, p.client, 'dpop_key');
          return { kind: 'refused', detail: 'refresh token bound to another DPoP key' } as const;
        }

        const family = (refreshToken: string): RedeemedFamily => ({
          familyId: t.familyId,
          sessionId: t.sessionId,
          userId: t.userId,
          scopes: t.scopes,
          resources: t.resources,
          authTime: t.authTime,
          issuedAt: t.issuedAt,
          refreshToken,
        });

        if (t.isUsed) {
          // grace: only the immediate predecessor, only while its successor is unused (BI-35, BI-36)
          const child = await this.repo.childOf(em, t.id);
          // a grace of 0 is none: a concurrent loser reads the winner's used_at as in its own future
          // (its now() is its transaction's start), and a negative age is "within" any grace
          const inGrace =
            p.policy.reuseGraceSeconds > 0 &&
            t.secondsSinceUse !== null &&
            t.secondsSinceUse <= p.policy.reuseGraceSeconds;
          if (inGrace && child && !child.isUsed) {
            const successor = this.secrets.deriveSuccessor(p.refreshToken);
            if (this.secrets.tokenHashMatches(successor, child.tokenHash)) {
              const selection = p.select(t);
              if (selection instanceof OAuthError)
                return { kind: 'invalid', error: selection } as const;
              await this.repo.countGraceReplay(em, t.id);
              await this.sessions.use(em, tenantId, t.sessionId, app.id, p.policy);
              return { kind: 'ok', family: family(successor), selection } as const;
            }
          }
          // the token's and family's rows are locked: the revocation lock only if free
          if (!revoking && !(await this.revocation.tryLockTenant(em, tenantId)))
            return { kind: 'contended' } as const;
          await this.onReuse(em, tenantId, t, app.clientId, p.policy, p.client);
          return { kind: 'refused', detail: 'refresh token reuse' } as const;
        }
        if (!t.isTokenAlive)
          return { kind: 'refused', detail: 'refresh token idle expired' } as const;

        const selection = p.select(t);
        if (selection instanceof OAuthError) return { kind: 'invalid', error: selection } as const;
        await this.sessions.use(em, tenantId, t.sessionId, app.id, p.policy);
        if (!p.policy.rotation) {
          await this.repo.extendTokenIdle(em, t.id, p.policy.refreshIdleTtl);
          return { kind: 'ok', family: family(p.refreshToken), selection } as const;
        }
        const successor = this.secrets.deriveSuccessor(p.refreshToken);
        await this.repo.markTokenUsed(em, t.id);
        await this.repo.insertRefreshToken(em, {
          id: randomUUID(),
          tenantId,
          familyId: t.familyId,
          tokenHash: this.secrets.tokenHash(successor),
          generation: t.generation + 1,
          parentId: t.id,
          idleTtl: p.policy.refreshIdleTtl,
        });
        return { kind: 'ok', family: family(successor), selection } as const;
      });
    let outcome = await attempt(false);
    // a reused token found the revocation lock taken: rolled back, again with the lock first
    if (outcome.kind === 'contended') outcome = await retryOnConflict(() => attempt(true));
    if (outcome.kind === 'contended') throw new Error('unreachable: the revocation lock was held');
    if (outcome.kind === 'invalid') throw outcome.error;
    if (outcome.kind !== 'ok') throw new InvalidGrant({ detail: outcome.detail });
    return { family: outcome.family, selection: outcome.selection };
  }

  /** The state of a presented refresh token, for introspection and revocation. */
  refreshTokenState(tenantId: string, token: string) {
    return this.repo.refreshTokenState(tenantId, this.secrets.tokenHash(token));
  }

  /** RFC 7009 §2.1: revoking a refresh token revokes its family (and so the access tokens minted from it). */
  async revokeFamily(
    tenantId: string,
    f: { familyId: string; sid: string; sub: string; clientId: string },
  ): Promise<void> {
    await retryOnConflict(() =>
      this.dataSource.transaction((em) => this.revokeFamilyIn(em, tenantId, f, 'revoked')),
    );
  }

  /** Ends one family (its session lives on), publishes it on the feed and records it in the audit log. */
  async revokeFamilyIn(
    em: EntityManager,
    tenantId: string,
    f: { familyId: string; sid: string; sub: string; clientId: string },
    reason: string,
  ): Promise<void> {
    await this.revocation.lockTenant(em, tenantId); // before the family's row
    await this.repo.revokeFamily(em, f.familyId, reason);
    await this.revocation.familyRevoked(em, tenantId, {
      familyId: f.familyId,
      sid: f.sid,
      sub: f.sub,
      clientId: f.clientId,
      reason,
    });
    await this.audit.record(em, {
      tenantId,
      type: 'family_revoked',
      sessionId: f.sid,
      userId: f.sub,
      clientId: f.clientId,
      detail: { familyId: f.familyId, reason },
    });
  }

  /**
   * Ends everything an application held (it is deleted or disabled, or its tokens are revoked), in
   * the caller's transaction: its codes not yet redeemed expire; in each session it is signed in
   * to, its families are revoked (their events end their access tokens) and its surface ends, with
   * a back-channel logout for its sign-in; a session it alone was signed in to ends whole (its
   * event, its back-channel logout), since nothing remains that it was for. Last, the tokens it
   * obtained on its own behalf (client_credentials) are cut off. Codes are expired first, so a
   * redemption racing this has either started its family (found below) or finds the code dead.
   */
  async endApplicationIn(
    em: EntityManager,
    tenantId: string,
    app: { id: string; clientId: string; tokensIssuedAfter: Date | null },
    reason: RevocationReason,
  ): Promise<EndedSignIns> {
    await this.revocation.lockTenant(em, tenantId); // before the codes', families' and sessions' rows
    await this.repo.expireCodes(em, tenantId, { applicationId: app.id });
    const families = await this.repo.liveFamilies(em, tenantId, { applicationId: app.id });
    const bySession = new Map<string, typeof families>();
    for (const f of families)
      bySession.set(f.sessionId, [...(bySession.get(f.sessionId) ?? []), f]);
    const sessions = await this.repo.sessionsOfApplication(em, tenantId, app.id);
    let sessionsEnded = 0;
    for (const s of sessions) {
      const held = bySession.get(s.id) ?? [];
      if (!s.hasOtherSurfaces) {
        await this.sessions.revokeIn(em, tenantId, s.id, reason, { clientId: app.clientId });
        sessionsEnded++;
        continue;
      }
      for (const f of held)
        await this.revokeFamilyIn(
          em,
          tenantId,
          { familyId: f.id, sid: s.id, sub: s.userId, clientId: app.clientId },
          reason,
        );
      await this.sessions.endSurfaceIn(em, s.id, app.id);
    }
    await this.revocation.clientCutOff(em, tenantId, {
      clientId: app.clientId,
      issuedAfter: app.tokensIssuedAfter,
      reason,
    });
    return { sessions: sessions.length, sessionsEnded, families: families.length };
  }

  /**
   * Ends everything issued for a resource server (it is deleted), in the caller's transaction: codes
   * naming it expire, every family naming it is revoked (a family is one decision, so its other
   * resources go with it), and every token for its identifier issued until now is cut off,
   * client_credentials ones included. Returns how many families were revoked.
   */
  async endResourceServerIn(
    em: EntityManager,
    tenantId: string,
    rs: { id: string; identifier: string },
  ): Promise<number> {
    const reason = 'resource_server_deleted';
    await this.revocation.lockTenant(em, tenantId); // before the codes' and families' rows
    await this.repo.expireCodes(em, tenantId, { resourceServerId: rs.id });
    const families = await this.repo.liveFamilies(em, tenantId, { resourceServerId: rs.id });
    for (const f of families)
      await this.revokeFamilyIn(
        em,
        tenantId,
        { familyId: f.id, sid: f.sessionId, sub: f.userId, clientId: f.clientId },
        reason,
      );
    await this.revocation.audienceCutOff(em, tenantId, { aud: rs.identifier, reason });
    return families.length;
  }

  /**
   * A used (or outgrown) refresh token came back, or a DPoP-bound one without a proof of its key
   * (`cause` dpop_key): theft is assumed; the family or session dies.
   */
  private async onReuse(
    em: EntityManager,
    tenantId: string,
    t: LockedRefreshToken,
    clientId: string,
    policy: EffectivePolicy,
    client: ClientContext,
    cause?: 'dpop_key',
  ) {
    await this.audit.record(em, {
      tenantId,
      type: 'refresh_token_reuse',
      sessionId: t.sessionId,
      userId: t.userId,
      clientId,
      ip: client.ip,
      userAgent: client.userAgent,
      detail: {
        familyId: t.familyId,
        generation: t.generation,
        action: policy.onReuse,
        ...(cause ? { cause } : {}),
      },
    });
    if (policy.onReuse === 'revoke-session')
      await this.sessions.revokeIn(em, tenantId, t.sessionId, 'reuse_detected', {
        clientId,
        userId: t.userId,
      });
    else
      await this.revokeFamilyIn(
        em,
        tenantId,
        { familyId: t.familyId, sid: t.sessionId, sub: t.userId, clientId },
        'reuse_detected',
      );
  }
}
