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
import { SessionsService } from '../sessions';
import { TenantsService } from '../tenants';
import { BackchannelRepository, type ClaimedDelivery } from './backchannel.repository';

const MAX_ATTEMPTS = 12;
const SEND_TIMEOUT_MS = 5000;
export const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** A signing key stays published at least this long after it last signed (KeysService.rotate). */
export const LOGOUT_TOKEN_TTL_SECONDS = 120;

/**
 * Sends back-channel logouts from the outbox (OpenID Connect Back-Channel Logout 1.0 §2.5): at
 * least once, with exponential back-off, never following redirects; and ends expired sessions so
 * their logouts are sent too. Runs on every instance; claims keep them out of each other's way.
 */
@Injectable()
export class BackchannelWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Backchannel');
  private timer?: NodeJS.Timeout;
  private sweepTimer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = false;
  private readonly onNotify = () => this.kick();

  constructor(
    private readonly repo: BackchannelRepository,
    private readonly keys: KeysService,
    private readonly tenants: TenantsService,
    private readonly sessions: SessionsService,
    private readonly bus: NotifyBus,
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: Metrics,
  ) {}

  onApplicationBootstrap(): void {
    this.bus.on(OUTBOX_CHANNEL, this.onNotify);
    this.metrics.watchOutboxDepth(() => this.repo.pendingCount());
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
  }

  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .catch(() => undefined) // the database is away: the next tick tries again
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async drain(): Promise<void> {
    for (;;) {
      const batch = await this.repo.claimDue(20);
      if (!batch.length || this.stopped) return;
      await Promise.all(batch.map((d) => this.deliver(d)));
    }
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
    let error: string;
    try {
      const res = await fetch(d.uri, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'cache-control': 'no-store',
        },
        body: new URLSearchParams({ logout_token: await this.logoutToken(d) }).toString(),
        redirect: 'manual', // a redirect is a failure, never followed
        signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.status === 200 || res.status === 204) {
        await this.repo.delivered(d.id);
        this.metrics.backchannelDeliveries.inc({ outcome: 'delivered' });
        return;
      }
      error = `HTTP ${res.status}`;
    } catch (err) {
      error = (err as Error).name === 'TimeoutError' ? 'timeout' : 'connection failed';
    }
    this.metrics.backchannelDeliveries.inc({
      outcome: error.startsWith('HTTP') ? 'http' : error === 'timeout' ? 'timeout' : 'connection',
    });
    const retry = d.attempts >= MAX_ATTEMPTS ? null : Math.min(2 ** d.attempts, 3600);
    this.logger.warn(
      `delivery ${d.id} to ${d.clientId} failed (${error}); ${retry === null ? 'giving up' : `retry in ${retry} s`}`,
    );
    await this.repo.failed(d.id, error, retry);
  }

  /** Ends sessions past their expiry (and so sends their logouts): other products skip this. */
  async sweep(): Promise<number> {
    if (this.stopped) return 0;
    try {
      return await this.dataSource.transaction(async (em) => {
        const expired: Array<{ id: string; tenantId: string }> = await em.query(
          this.repo.expiredSessionsQuery(),
        );
        for (const s of expired) await this.sessions.revokeIn(em, s.tenantId, s.id, 'expired');
        return expired.length;
      });
    } catch {
      return 0;
    }
  }
}
