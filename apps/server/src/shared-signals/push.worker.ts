import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config';
import { NotifyBus, OUTBOX_CHANNEL } from '../database';
import { KeysService } from '../keys';
import { post, type SendOutcome } from '../logout';
import { SsfOutbox, type ClaimedSet } from '../revocation';
import { SecretsService } from '../secrets';
import { TenantsService } from '../tenants';
import { setClaims, SET_TYP } from './sets';
import { authorizationPurpose } from './streams.service';

const MAX_ATTEMPTS = 12;
const SEND_TIMEOUT_MS = 5000;
/** A receiver's answer is a status (and, on 400, a short error); more than this is never read. */
const MAX_ANSWER_BYTES = 4096;
/** As for back-channel logouts: one receiver that hangs holds its own tenant's slots, not everyone's. */
const IN_FLIGHT = 16;
const PER_TENANT = 4;
const PER_HOST = 4;

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
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = false;
  private readonly sending = new Set<Promise<void>>();
  private readonly byTenant = new Map<string, number>();
  private readonly byHost = new Map<string, number>();
  private readonly onNotify = () => this.kick();

  constructor(
    private readonly outbox: SsfOutbox,
    private readonly keys: KeysService,
    private readonly tenants: TenantsService,
    private readonly secrets: SecretsService,
    private readonly bus: NotifyBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.bus.on(OUTBOX_CHANNEL, this.onNotify);
    this.timer = setInterval(() => this.kick(), 1000);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    this.bus.off(OUTBOX_CHANNEL, this.onNotify);
    clearInterval(this.timer);
    await this.running;
    await Promise.all(this.sending);
  }

  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.fill()
      .catch(() => undefined) // the database is away: the next tick tries again
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async fill(): Promise<void> {
    while (!this.stopped) {
      const room = IN_FLIGHT - this.sending.size;
      if (room <= 0) return;
      const batch = await this.outbox.claimPush(room, {
        byTenant: this.byTenant,
        byHost: this.byHost,
        perTenant: PER_TENANT,
        perHost: PER_HOST,
      });
      for (const e of batch) this.start(e);
      if (batch.length < room) return;
    }
  }

  private start(e: ClaimedSet): void {
    const count = (m: Map<string, number>, key: string, by: number) => {
      const n = (m.get(key) ?? 0) + by;
      if (n > 0) m.set(key, n);
      else m.delete(key);
    };
    count(this.byTenant, e.tenantId, 1);
    count(this.byHost, e.host, 1);
    const sending: Promise<void> = this.deliver(e)
      .catch(() => undefined) // the database is away: the lease runs out and the row is claimed again
      .finally(() => {
        this.sending.delete(sending);
        count(this.byTenant, e.tenantId, -1);
        count(this.byHost, e.host, -1);
        this.kick();
      });
    this.sending.add(sending);
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
    const retry = e.attempts >= MAX_ATTEMPTS ? null : Math.min(2 ** e.attempts, 3600);
    this.logger.warn(
      `SET ${e.jti} of stream ${e.streamId} not delivered (${describe(sent)}); ${retry === null ? 'giving up' : `retry in ${retry} s`}`,
    );
    await this.outbox.failed(e.id, shown(sent), retry);
  }
}

function describe(sent: SendOutcome): string {
  if (sent.kind === 'answered') return `HTTP ${sent.status}`;
  if (sent.kind === 'timeout') return 'timeout';
  return `${sent.kind}: ${sent.detail}`;
}

/** What is kept on the row: the status class of an answer, or that there was none. */
function shown(sent: SendOutcome): string {
  return sent.kind === 'answered'
    ? `delivery failed: HTTP ${Math.floor(sent.status / 100)}xx`
    : 'delivery failed: no HTTP response';
}
