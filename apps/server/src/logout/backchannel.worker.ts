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
import { NotifyBus } from '../database';
import { KeysService } from '../keys';
import { Metrics } from '../metrics';
import {
  BackchannelOutbox,
  OutboxWorker,
  RevocationService,
  retryDelay,
  type ClaimedDelivery,
} from '../revocation';
import { SessionsService } from '../sessions';
import { TenantsService } from '../tenants';
import { describeOutcome, postForm, shownError } from './backchannel.sender';

const SEND_TIMEOUT_MS = 5000;
/** A relying party's answer is a status; more than this of its body is never read. */
const MAX_ANSWER_BYTES = 4096;
export const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** A signing key stays published at least this long after it last signed (KeysService.rotate). */
export const LOGOUT_TOKEN_TTL_SECONDS = 120;

/**
 * Sends back-channel logouts from the outbox (OpenID Connect Back-Channel Logout 1.0 §2.5): at
 * least once, with exponential back-off, never following redirects, never to an address that is not
 * globally reachable (backchannel.sender.ts); and ends expired sessions so their logouts are sent
 * too. Runs on every instance; claims keep them out of each other's way.
 */
@Injectable()
export class BackchannelWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Backchannel');
  private sweepTimer?: NodeJS.Timeout;
  private stopped = false;
  private readonly worker: OutboxWorker<ClaimedDelivery>;

  constructor(
    private readonly outbox: BackchannelOutbox,
    private readonly keys: KeysService,
    private readonly tenants: TenantsService,
    private readonly sessions: SessionsService,
    private readonly revocation: RevocationService,
    bus: NotifyBus,
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: Metrics,
  ) {
    this.worker = new OutboxWorker(
      bus,
      (limit, inFlight) => this.outbox.claimDue(limit, inFlight),
      (d) => this.deliver(d),
    );
  }

  onApplicationBootstrap(): void {
    this.worker.start();
    this.metrics.watchOutboxDepth(() => this.outbox.pendingCount());
    this.sweepTimer = setInterval(() => void this.sweep(), 5000);
    this.sweepTimer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearInterval(this.sweepTimer);
    await this.worker.stop();
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
    const retry = retryDelay(d.attempts);
    this.logger.warn(
      `delivery ${d.id} to ${d.clientId} failed (${describeOutcome(sent)}); ${retry === null ? 'giving up' : `retry in ${retry} s`}`,
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
