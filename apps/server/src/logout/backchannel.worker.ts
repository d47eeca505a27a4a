import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Clock } from '../clock';
import { APP_CONFIG, type AppConfig } from '../config';
import { NotifyBus, OUTBOX_CHANNEL } from '../database';
import { KeysService } from '../keys';
import { Metrics } from '../metrics';
import { BackchannelOutbox, RevocationService, type ClaimedDelivery } from '../revocation';
import { SessionsService } from '../sessions';
import { TenantsService } from '../tenants';
import { postForm, type SendOutcome } from './backchannel.sender';

const MAX_ATTEMPTS = 12;
const SEND_TIMEOUT_MS = 5000;
/** A relying party's answer is a status; more than this of its body is never read. */
const MAX_ANSWER_BYTES = 4096;
/**
 * Sends in flight on one instance, and of them at most this many per tenant and per target host:
 * a relying party that hangs holds its own tenant's slots until the timeout, never everyone's.
 */
const IN_FLIGHT = 16;
const PER_TENANT = 4;
const PER_HOST = 4;
export const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** A signing key stays published at least this long after it last signed (KeysService.rotate). */
export const LOGOUT_TOKEN_TTL_SECONDS = 120;

/**
 * What a tenant's administrators see of a failed delivery: the status class of an answer, or that
 * there was none. Why there was none (refused address, no such name, connection refused, timeout)
 * and which port would make this a scanner of whatever the server can reach: that stays in the log.
 */
function shownError(sent: SendOutcome): string {
  return sent.kind === 'answered'
    ? `delivery failed: HTTP ${Math.floor(sent.status / 100)}xx`
    : 'delivery failed: no HTTP response';
}

/**
 * Sends back-channel logouts from the outbox (OpenID Connect Back-Channel Logout 1.0 §2.5): at
 * least once, with exponential back-off, never following redirects, never to an address that is not
 * globally reachable (backchannel.sender.ts); and ends expired sessions so their logouts are sent
 * too. Runs on every instance; claims keep them out of each other's way.
 */
@Injectable()
export class BackchannelWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Backchannel');
  private timer?: NodeJS.Timeout;
  private sweepTimer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = false;
  private readonly sending = new Set<Promise<void>>();
  private readonly byTenant = new Map<string, number>();
  private readonly byHost = new Map<string, number>();
  private readonly onNotify = () => this.kick();

  constructor(
    private readonly outbox: BackchannelOutbox,
    private readonly keys: KeysService,
    private readonly tenants: TenantsService,
    private readonly sessions: SessionsService,
    private readonly revocation: RevocationService,
    private readonly bus: NotifyBus,
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: Metrics,
  ) {}

  onApplicationBootstrap(): void {
    this.bus.on(OUTBOX_CHANNEL, this.onNotify);
    this.metrics.watchOutboxDepth(() => this.outbox.pendingCount());
    this.timer = setInterval(() => this.kick(), 1000);
    this.sweepTimer = setInterval(() => void this.sweep(), 5000);
    this.timer.unref();
    this.sweepTimer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    this.bus.off(OUTBOX_CHANNEL, this.onNotify);
    clearInterval(this.timer);
    clearInterval(this.sweepTimer);
    await this.running;
    await Promise.all(this.sending);
  }

  /** Claims what there is room for; called on a notification, every second, and as sends end. */
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
      const batch = await this.outbox.claimDue(room, {
        byTenant: this.byTenant,
        byHost: this.byHost,
        perTenant: PER_TENANT,
        perHost: PER_HOST,
      });
      for (const d of batch) this.start(d);
      if (batch.length < room) return;
    }
  }

  /** One send, counted against its tenant and host until it ends (the row is leased meanwhile). */
  private start(d: ClaimedDelivery): void {
    const count = (m: Map<string, number>, key: string, by: number) => {
      const n = (m.get(key) ?? 0) + by;
      if (n > 0) m.set(key, n);
      else m.delete(key);
    };
    count(this.byTenant, d.tenantId, 1);
    count(this.byHost, d.host, 1);
    const sending: Promise<void> = this.deliver(d)
      .catch(() => undefined) // the database is away: the lease runs out and the row is claimed again
      .finally(() => {
        this.sending.delete(sending);
        count(this.byTenant, d.tenantId, -1);
        count(this.byHost, d.host, -1);
        this.kick();
      });
    this.sending.add(sending);
  }

  private async logoutToken(d: ClaimedDelivery): Promise<string> {
    const tenant = (await this.tenants.listByIds([d.tenantId]))[0];
    const iat = this.clock.epochSeconds();
    // §2.4: iss, aud, iat, exp, jti, events, sid and sub; never a nonce; typ logout+jwt (RFC 8725 §3.11)
    return this.keys.sign(
      d.tenantId,
      { typ: 'logout+jwt' },
      {
        iss: this.tenants.issuer(tenant),
        aud: d.clientId,
        iat,
        exp: iat + LOGOUT_TOKEN_TTL_SECONDS,
        jti: randomUUID(),
        sub: d.sub,
        sid: d.sessionId,
        events: { [BACKCHANNEL_EVENT]: {} },
      },
    );
  }

  private async deliver(d: ClaimedDelivery): Promise<void> {
    const sent = await postForm(
      d.uri,
      new URLSearchParams({ logout_token: await this.logoutToken(d) }).toString(),
      {
        allowPrivate: this.config.allowPrivateUris,
        timeoutMs: SEND_TIMEOUT_MS,
        maxBodyBytes: MAX_ANSWER_BYTES,
      },
    );
    // §2.8: 200 is success (204 too: some relying parties answer no content)
    if (sent.kind === 'answered' && (sent.status === 200 || sent.status === 204)) {
      await this.outbox.delivered(d.id);
      this.metrics.backchannelDeliveries.inc({ outcome: 'delivered' });
      return;
    }
    const outcome =
      sent.kind === 'answered' ? 'http' : sent.kind === 'unreachable' ? 'connection' : sent.kind;
    this.metrics.backchannelDeliveries.inc({ outcome });
    const retry = d.attempts >= MAX_ATTEMPTS ? null : Math.min(2 ** d.attempts, 3600);
    const detail =
      sent.kind === 'answered'
        ? `HTTP ${sent.status}`
        : sent.kind === 'timeout'
          ? 'timeout'
          : `${sent.kind}: ${sent.detail}`;
    this.logger.warn(
      `delivery ${d.id} to ${d.clientId} failed (${detail}); ${retry === null ? 'giving up' : `retry in ${retry} s`}`,
    );
    await this.outbox.failed(d.id, shownError(sent), retry);
  }

  /** Ends sessions past their expiry (and so sends their logouts): other products skip this. */
  async sweep(): Promise<number> {
    if (this.stopped) return 0;
    try {
      return await this.dataSource.transaction(async (em) => {
        const expired = await this.sessions.lockExpired(em);
        // the rows are locked already: a tenant's sessions are ended only when its revocation lock
        // is free (RevocationService.tryLockTenant); the others wait for the next sweep
        const free = new Map<string, boolean>();
        let ended = 0;
        for (const s of expired) {
          if (!free.has(s.tenantId))
            free.set(s.tenantId, await this.revocation.tryLockTenant(em, s.tenantId));
          if (!free.get(s.tenantId)) continue;
          await this.sessions.revokeIn(em, s.tenantId, s.id, 'expired');
          ended++;
        }
        return ended;
      });
    } catch {
      return 0;
    }
  }
}
