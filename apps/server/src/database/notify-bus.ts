import { EventEmitter } from 'node:events';
import { Client, type Notification } from 'pg';

export const REVOCATIONS_CHANNEL = 'tessera_revocations';
export const OUTBOX_CHANNEL = 'tessera_outbox';
/** A tenant's applications, grants or resource servers changed (payload: the tenant id). */
export const CONFIG_CHANNEL = 'tessera_config';
/** A tenant's signing keys changed: rotated or withdrawn (payload: the tenant id). */
export const KEYS_CHANNEL = 'tessera_keys';

/**
 * LISTEN/NOTIFY across instances. A dedicated client LISTENs (a real server delivers there); every
 * pool client is hooked too, because the embedded server delivers to the connection that committed
 * the NOTIFY. The listener reconnects by itself and then says 'resync', so consumers
 * re-read from their cursor and lose nothing.
 */
export class NotifyBus extends EventEmitter {
  private listener?: Client;
  private stopped = false;
  private retry?: NodeJS.Timeout;
  isConnected = false;

  constructor(private readonly url: string) {
    super();
    this.setMaxListeners(0);
  }

  readonly onPoolConnect = (c: Client) => {
    c.on('notification', (n: Notification) => this.emit(n.channel, n.payload));
  };

  async start(): Promise<void> {
    const client = new Client({ connectionString: this.url });
    client.on('notification', (n) => this.emit(n.channel, n.payload));
    client.on('error', () => this.reconnect());
    client.on('end', () => this.reconnect());
    await client.connect();
    await client.query(`LISTEN ${REVOCATIONS_CHANNEL}`);
    await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
    await client.query(`LISTEN ${CONFIG_CHANNEL}`);
    await client.query(`LISTEN ${KEYS_CHANNEL}`);
    this.listener = client;
    this.isConnected = true;
  }

  private reconnect(): void {
    this.isConnected = false;
    if (this.stopped || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.start().then(
        () => this.emit('resync'),
        () => this.reconnect(),
      );
    }, 1000);
    this.retry.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    const l = this.listener;
    this.listener = undefined;
    await l?.end().catch(() => undefined);
  }
}
