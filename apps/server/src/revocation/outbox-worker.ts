import { NotifyBus, OUTBOX_CHANNEL } from '../database';
import type { InFlight } from './outbox';

/**
 * Sends in flight on one instance, and of them at most this many per tenant and per target host:
 * a receiver that hangs holds its own tenant's slots until the timeout, never everyone's.
 */
const IN_FLIGHT = 16;
const PER_TENANT = 4;
const PER_HOST = 4;
/** Tries of one row before it is given up (`failed`). */
const MAX_ATTEMPTS = 12;

/** A claimed row, as far as the bounds count it. */
export interface OutboxRow {
  tenantId: string;
  /** The target's host, lower-cased. */
  host: string;
}

/**
 * Seconds until a row that failed its `attempts`-th try is due again (exponential back-off, at
 * most an hour), or null: that was its last try.
 */
export function retryDelay(attempts: number): number | null {
  return attempts >= MAX_ATTEMPTS ? null : Math.min(2 ** attempts, 3600);
}

/**
 * The loop of an outbox's sender (back-channel logouts, pushed SETs): claims due rows as there is
 * room, on a notification of the outbox channel, every second and as sends end; sends each one,
 * counted against its tenant and host until it ends (the row is leased meanwhile); stops claiming
 * on shutdown and waits for the sends in flight. `deliver` settles the row itself.
 */
export class OutboxWorker<Row extends OutboxRow> {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = false;
  private readonly sending = new Set<Promise<void>>();
  private readonly byTenant = new Map<string, number>();
  private readonly byHost = new Map<string, number>();
  private readonly onNotify = () => this.kick();

  constructor(
    private readonly bus: NotifyBus,
    private readonly claim: (limit: number, inFlight: InFlight) => Promise<Row[]>,
    private readonly deliver: (row: Row) => Promise<void>,
  ) {}

  start(): void {
    this.bus.on(OUTBOX_CHANNEL, this.onNotify);
    this.timer = setInterval(() => this.kick(), 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.bus.off(OUTBOX_CHANNEL, this.onNotify);
    clearInterval(this.timer);
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
      const batch = await this.claim(room, {
        byTenant: this.byTenant,
        byHost: this.byHost,
        perTenant: PER_TENANT,
        perHost: PER_HOST,
      });
      for (const row of batch) this.send(row);
      if (batch.length < room) return;
    }
  }

  /** One send, counted against its tenant and host until it ends (the row is leased meanwhile). */
  private send(row: Row): void {
    const count = (m: Map<string, number>, key: string, by: number) => {
      const n = (m.get(key) ?? 0) + by;
      if (n > 0) m.set(key, n);
      else m.delete(key);
    };
    count(this.byTenant, row.tenantId, 1);
    count(this.byHost, row.host, 1);
    const sending: Promise<void> = this.deliver(row)
      .catch(() => undefined) // the database is away: the lease runs out and the row is claimed again
      .finally(() => {
        this.sending.delete(sending);
        count(this.byTenant, row.tenantId, -1);
        count(this.byHost, row.host, -1);
        this.kick();
      });
    this.sending.add(sending);
  }
}
