import { Injectable } from '@nestjs/common';
import type { InFlight } from './outbox';
import { SsfOutboxRepository, type ClaimedSet, type PendingSet } from './ssf-outbox.repository';

/**
 * The Shared Signals outbox, for the module that delivers it (shared-signals): rows are queued by
 * RevocationService in the transaction that records the event, which is why the outbox lives here
 * and not with its sender.
 */
@Injectable()
export class SsfOutbox {
  constructor(private readonly repo: SsfOutboxRepository) {}

  enqueueFor(
    tenantId: string,
    streamId: string,
    eventType: string,
    subject: Record<string, string>,
    detail: Record<string, unknown>,
  ): Promise<void> {
    return this.repo.enqueueFor(tenantId, streamId, eventType, subject, detail);
  }

  poll(
    streamId: string,
    o: { ack: string[]; errs: Array<{ jti: string; error: string }>; max: number },
  ): Promise<{ sets: PendingSet[]; more: boolean }> {
    return this.repo.poll(streamId, o);
  }

  claimPush(limit: number, inFlight: InFlight): Promise<ClaimedSet[]> {
    return this.repo.claimPush(limit, inFlight);
  }

  delivered(id: string): Promise<void> {
    return this.repo.delivered(id);
  }

  /** `retryInSeconds` null: given up, the row stays `failed`. */
  failed(id: string, error: string, retryInSeconds: number | null): Promise<void> {
    return this.repo.failed(id, error, retryInSeconds);
  }
}
