import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config';
import { NotifyBus } from '../database';
import { KeysService } from '../keys';
import { describeOutcome, post, shownError } from '../logout';
import { OutboxWorker, retryDelay, SsfOutbox, type ClaimedSet } from '../revocation';
import { SecretsService } from '../secrets';
import { TenantsService } from '../tenants';
import { setClaims, SET_TYP } from './sets';
import { authorizationPurpose } from './streams.service';

const SEND_TIMEOUT_MS = 5000;
/** A receiver's answer is a status (and, on 400, a short error); more than this is never read. */
const MAX_ANSWER_BYTES = 4096;

/**
 * Pushes SETs from the outbox (RFC 8935): POST `application/secevent+jwt` with the receiver's
 * Authorization, 202 is delivered; anything else is tried again with exponential back-off, at least
 * once in all, with the same protections as back-channel logout (the address resolved and checked
 * at every send, redirects never followed, a bounded read, per-tenant and per-host bounds). Runs on
 * every instance; claims keep them out of each other's way.
 */
@Injectable()
export class PushWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('SharedSignals');
  /** Back-channel logout's loop and bounds: a receiver that hangs holds its own tenant's slots only. */
  private readonly worker: OutboxWorker<ClaimedSet>;

  constructor(
    private readonly outbox: SsfOutbox,
    private readonly keys: KeysService,
    private readonly tenants: TenantsService,
    private readonly secrets: SecretsService,
    bus: NotifyBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.worker = new OutboxWorker(
      bus,
      (limit, inFlight) => this.outbox.claimPush(limit, inFlight),
      (e) => this.deliver(e),
    );
  }

  onApplicationBootstrap(): void {
    this.worker.start();
  }

  onModuleDestroy(): Promise<void> {
    return this.worker.stop();
  }

  private async deliver(e: ClaimedSet): Promise<void> {
    const tenant = (await this.tenants.listByIds([e.tenantId]))[0];
    const set = await this.keys.sign(
      e.tenantId,
      { typ: SET_TYP },
      setClaims(this.tenants.issuer(tenant), e.audience, e),
    );
    const headers: Record<string, string> = { accept: 'application/json' };
    if (e.authorizationHeader)
      headers.authorization = this.secrets.openValue(
        e.authorizationHeader,
        authorizationPurpose(e.streamId),
      );
    const sent = await post(
      e.endpointUrl,
      { contentType: 'application/secevent+jwt', text: set, headers },
      {
        allowPrivate: this.config.allowPrivateUris,
        timeoutMs: SEND_TIMEOUT_MS,
        maxBodyBytes: MAX_ANSWER_BYTES,
      },
    );
    // RFC 8935 §2.2: 202 Accepted is delivered
    if (sent.kind === 'answered' && sent.status === 202) {
      await this.outbox.delivered(e.id);
      return;
    }
    const retry = retryDelay(e.attempts);
    this.logger.warn(
      `SET ${e.jti} of stream ${e.streamId} not delivered (${describeOutcome(sent)}); ${retry === null ? 'giving up' : `retry in ${retry} s`}`,
    );
    await this.outbox.failed(e.id, shownError(sent), retry);
  }
}
