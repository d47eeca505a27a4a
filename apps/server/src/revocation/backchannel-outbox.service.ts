import { Injectable } from '@nestjs/common';
import type { DeliveryView } from '@tessera/contracts';
import { BackchannelRepository, type ClaimedDelivery } from './backchannel.repository';
import type { InFlight } from './outbox';

/**
 * The back-channel logout outbox, for the ones who read it: logout's worker claims and settles
 * rows, the admin API lists them. Rows are queued by RevocationService, in the transaction that
 * ends a session, which is why the outbox lives here and not with its sender.
 */
@Injectable()
export class BackchannelOutbox {
  constructor(private readonly repo: BackchannelRepository) {}

  claimDue(limit: number, inFlight: InFlight): Promise<ClaimedDelivery[]> {
    return this.repo.claimDue(limit, inFlight);
  }

  /** Logouts not yet sent (due or waiting for a retry): the outbox depth. */
  pendingCount(): Promise<number> {
    return this.repo.pendingCount();
  }

  /** Logouts given up on per hour they were queued (hours since the epoch), since `since`. */
  failedByHour(tenantId: string, since: Date): Promise<Array<{ hour: number; count: number }>> {
    return this.repo.failedByHour(tenantId, since);
  }

  delivered(id: string): Promise<void> {
    return this.repo.delivered(id);
  }

  /** `retryInSeconds` null: given up, the row stays `failed` for the admin to see. */
  failed(id: string, error: string, retryInSeconds: number | null): Promise<void> {
    return this.repo.failed(id, error, retryInSeconds);
  }

  list(
    tenantId: string,
    f: { status?: string; sessionId?: string; limit: number },
  ): Promise<DeliveryView[]> {
    return this.repo.list(tenantId, f);
  }
}
