import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { MAX_ACCESS_TOKEN_TTL_SECONDS } from '@tessera/contracts';
import { REVOCATIONS_CHANNEL, run } from '../database';
import { Metrics } from '../metrics';
import type { RevocationType } from './revocation.entity';
import {
  EVENTS_AFTER,
  INSERT_EVENT,
  LAST_SUBJECT_CUT,
  LATEST_ID,
  LOCK_TENANT,
  NOTIFY,
  TRY_LOCK_TENANT,
  type FeedRow,
} from './revocation.sql';

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
    await run(em, LOCK_TENANT, [tenantId]);
  }

  /** The tenant's revocation lock if it is free (or already this transaction's), without waiting. */
  async tryLockTenant(em: EntityManager, tenantId: string): Promise<boolean> {
    const rows = await run(em, TRY_LOCK_TENANT, [tenantId]);
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
    await run(em, INSERT_EVENT, [
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
    ]);
    await run(em, NOTIFY, [REVOCATIONS_CHANNEL, e.tenantId]);
    this.metrics.revocations.inc({ type: e.type });
  }

  /** The latest cut of a subject's tokens still in force (a `user` event), if any. */
  async lastSubjectCut(em: EntityManager, tenantId: string, sub: string): Promise<Date | null> {
    const rows = await run(em, LAST_SUBJECT_CUT, [tenantId, sub]);
    return rows[0]?.at ?? null;
  }

  eventsAfter(tenantId: string, after: string, limit: number): Promise<FeedRow[]> {
    return run(this.dataSource.manager, EVENTS_AFTER, [tenantId, after, limit]);
  }

  async latestId(tenantId: string): Promise<string> {
    const rows = await run(this.dataSource.manager, LATEST_ID, [tenantId]);
    return rows[0].id;
  }
}
