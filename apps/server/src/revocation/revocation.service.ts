import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { RevocationRepository } from './revocation.repository';

/**
 * Every revocation becomes an event of the tenant's feed, in the transaction that revokes, and is
 * announced over NOTIFY at its commit: validators of stateless tokens learn it within a second.
 */
@Injectable()
export class RevocationService {
  constructor(private readonly repo: RevocationRepository) {}

  /** A session ended: its tokens die; back-channel logouts are queued for its applications. */
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
    await this.repo.enqueueBackchannel(em, s.sid);
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
