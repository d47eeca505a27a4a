import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { BackchannelRepository } from './backchannel.repository';
import { RevocationRepository } from './revocation.repository';
import { CREDENTIAL_CHANGE, SESSION_REVOKED, TOKEN_CLAIMS_CHANGE } from './ssf-event-types';
import { SsfOutboxRepository } from './ssf-outbox.repository';

/** CAEP 1.0 §2 `initiating_entity` for the reasons a session ends with. */
const INITIATED_BY: Record<string, string> = { logout: 'user', admin: 'admin', expired: 'system' };

/**
 * Every revocation becomes an event of the tenant's feed, in the transaction that revokes, and is
 * announced over NOTIFY at its commit: validators of stateless tokens learn it within a second.
 */
@Injectable()
export class RevocationService {
  constructor(
    private readonly repo: RevocationRepository,
    private readonly outbox: BackchannelRepository,
    private readonly ssf: SsfOutboxRepository,
  ) {}

  /**
   * The tenant's revocation lock, as the first statement of a transaction that revokes: before any
   * row the revocation locks (sessions, families, tokens, codes). Every event is written under it
   * (so the feed's ids grow in commit order); a transaction that locked such rows first and then
   * waited for it would deadlock against one holding it and waiting for those rows. Reentrant: the
   * methods below take it again at once.
   */
  lockTenant(em: EntityManager, tenantId: string): Promise<void> {
    return this.repo.lockTenant(em, tenantId);
  }

  /**
   * For a transaction that already holds row locks and only now finds it must revoke (a reused
   * refresh token or code): the lock if free, never waiting. When it is not, the caller rolls back
   * and runs again with lockTenant first.
   */
  tryLockTenant(em: EntityManager, tenantId: string): Promise<boolean> {
    return this.repo.tryLockTenant(em, tenantId);
  }

  /**
   * A session ended: its tokens die; back-channel logouts are queued for its applications, and a
   * CAEP `session-revoked` for the tenant's Shared Signals streams.
   */
  async sessionEnded(
    em: EntityManager,
    tenantId: string,
    s: { sid: string; sub: string; reason: string },
  ): Promise<void> {
    await this.repo.insertEvent(em, {
      tenantId,
      type: 'session',
      sid: s.sid,
      sub: s.sub,
      reason: s.reason,
      notBefore: true,
    });
    await this.outbox.enqueue(em, s.sid);
    await this.ssf.enqueue(
      em,
      tenantId,
      SESSION_REVOKED,
      { sub: s.sub, sid: s.sid },
      { initiating_entity: INITIATED_BY[s.reason] ?? 'policy', reason_admin: { en: s.reason } },
    );
  }

  /**
   * A credential changed (CAEP 1.0 §3.2): a user's password was set anew, or an application's
   * client secret regenerated (`sub` is then the client id). Queued for the tenant's Shared Signals
   * streams in the caller's transaction.
   */
  async credentialChanged(
    em: EntityManager,
    tenantId: string,
    c: { sub: string; credentialType: 'password' | 'client_secret'; changeType: 'update' },
  ): Promise<void> {
    await this.ssf.enqueue(
      em,
      tenantId,
      CREDENTIAL_CHANGE,
      { sub: c.sub },
      { credential_type: c.credentialType, change_type: c.changeType },
    );
  }

  /**
   * What a user's tokens would claim changed (CAEP 1.0 §3.3): their permissions (roles, scopes
   * held) were changed. `claims` names what is new.
   */
  async claimsChanged(
    em: EntityManager,
    tenantId: string,
    c: { sub: string; claims: Record<string, unknown> },
  ): Promise<void> {
    await this.ssf.enqueue(em, tenantId, TOKEN_CLAIMS_CHANGE, { sub: c.sub }, { claims: c.claims });
  }

  /**
   * A refresh-token family died (RFC 7009, reuse): the access tokens naming it (`family_id`) die.
   * The session, client and cut time are there too, for tokens minted before tokens named their
   * family and for validators that predate the family id.
   */
  async familyRevoked(
    em: EntityManager,
    tenantId: string,
    f: { familyId: string; sid: string; sub: string; clientId: string; reason: string },
  ): Promise<void> {
    await this.repo.insertEvent(em, {
      tenantId,
      type: 'family',
      familyId: f.familyId,
      sid: f.sid,
      sub: f.sub,
      clientId: f.clientId,
      reason: f.reason,
      notBefore: true,
    });
  }

  /**
   * A signing key was withdrawn (leaked): every token whose header names it is dead, whatever it
   * claims. Kept until the longest-lived access token of the tenant issued now would die; by then
   * the key has long left every validator's JWKS.
   */
  async keyWithdrawn(em: EntityManager, tenantId: string, k: { kid: string }): Promise<void> {
    await this.repo.insertEvent(em, {
      tenantId,
      type: 'key',
      kid: k.kid,
      reason: 'withdrawn',
      notBefore: false,
    });
  }

  /** One access token (RFC 7009): denied until it would have expired anyway. */
  async accessTokenRevoked(
    em: EntityManager,
    tenantId: string,
    t: { jti: string; sub: string; clientId: string; exp: number },
  ): Promise<void> {
    await this.repo.insertEvent(em, {
      tenantId,
      type: 'access_token',
      jti: t.jti,
      sub: t.sub,
      clientId: t.clientId,
      reason: 'revoked',
      notBefore: false,
      expiresAt: new Date(t.exp * 1000),
    });
  }

  /**
   * One application's sign-in to a session ended (the application was disabled, or its tokens
   * revoked) while the session lives on: its back-channel logout is queued. Its tokens are ended by
   * the events of its families, which the caller writes in the same transaction.
   */
  async surfaceEnded(em: EntityManager, s: { sid: string; applicationId: string }): Promise<void> {
    await this.outbox.enqueue(em, s.sid, s.applicationId);
  }

  /**
   * The tokens a client obtained on its own behalf (client_credentials), issued until now. They
   * name no session, and their subject is the client itself (RFC 9068 §2.2), which is never the id
   * of a user (a client id cannot have the form of a UUID): a subject cut is exactly these tokens,
   * and a validator that follows the feed refuses them as it would a signed-out user's.
   * `iat` is whole seconds, so the cut reaches what was issued until the end of its second; a token
   * minted after it is stamped with the next second (Application.tokensIssuedAfter), and the cut
   * reaches so far as a previous cut stamped ahead (`issuedAfter`, that previous cut).
   */
  async clientCutOff(
    em: EntityManager,
    tenantId: string,
    c: { clientId: string; issuedAfter: Date | null; reason: string },
  ): Promise<void> {
    await this.repo.insertEvent(em, {
      tenantId,
      type: 'user',
      sub: c.clientId,
      clientId: c.clientId,
      reason: c.reason,
      notBefore: true,
      notBeforeAtLeast: c.issuedAfter
        ? new Date((Math.floor(c.issuedAfter.getTime() / 1000) + 1) * 1000)
        : null,
    });
  }

  /** The latest cut of a client id's own tokens still in force, if any. */
  async lastClientCut(em: EntityManager, tenantId: string, clientId: string): Promise<Date | null> {
    return this.repo.lastSubjectCut(em, tenantId, clientId);
  }

  /**
   * A resource server was deleted: every token for its identifier issued until now, sessions or
   * not. No token for it is minted afterwards (its grants went with it), so the time cut reaches
   * nothing that follows.
   */
  async audienceCutOff(
    em: EntityManager,
    tenantId: string,
    a: { aud: string; reason: string },
  ): Promise<void> {
    await this.repo.insertEvent(em, {
      tenantId,
      type: 'audience',
      aud: a.aud,
      reason: a.reason,
      notBefore: true,
    });
  }

  /**
   * Signed out everywhere, or disabled: the subject's tokens that name no session (`sid`), issued
   * until now. A token naming a session is ended by that session's own event, which the caller
   * writes in the same transaction for every session it ends: a time cut on the subject would also
   * reach a sign-in of the same second that followed it.
   */
  async userSignedOut(
    em: EntityManager,
    tenantId: string,
    u: { sub: string; reason: string },
  ): Promise<void> {
    await this.repo.insertEvent(em, {
      tenantId,
      type: 'user',
      sub: u.sub,
      reason: u.reason,
      notBefore: true,
    });
  }
}
