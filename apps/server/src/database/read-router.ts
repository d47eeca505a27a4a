import type { DataSource } from 'typeorm';
import { CONFIG_CHANNEL, KEYS_CHANNEL, REVOCATIONS_CHANNEL, type NotifyBus } from './notify-bus';

/** How far behind the primary the replica may be and still answer. */
export const REPLICA_MAX_LAG_MS = 1000;
/** How often the replica's replay position is compared with the primary's. */
const SAMPLE_MS = 100;

/** A WAL position (`16/B374D848`) as a number that compares. */
export function lsn(text: string): bigint {
  const [hi, lo] = text.split('/');
  return (BigInt(`0x${hi}`) << 32n) + BigInt(`0x${lo}`);
}

/**
 * Sends reads that may lag (DATABASE_READ_URL) to a streaming replica, but only while it is known
 * to hold everything they depend on; otherwise, and whenever the replica fails or has no answer
 * the caller can trust, to the primary. The replica answers only while all of these hold:
 *
 * - **bounded lag**: within the last REPLICA_MAX_LAG_MS it has replayed past a position the
 *   primary reported (positions, not `pg_last_xact_replay_timestamp()`, which grows on an idle
 *   primary);
 * - **every announced change replayed**: a revocation, a key change or a configuration change
 *   NOTIFYs at its commit. On hearing one, the router reads the primary's position (at or past that
 *   commit) and keeps the replica out until it has replayed that far. The same NOTIFY is what
 *   drops this instance's caches and wakes its feed streams: a revocation is honoured through the
 *   replica from the moment the instance knows of it, as it is everywhere else;
 * - **the listener is connected**: without it, announcements could be missed.
 *
 * Callers pass `isTrusted`: a replica answer that fails it (a "not live", a missing row: possibly
 * just not replicated yet) is asked again of the primary, so lag never turns into a wrong refusal.
 * Writes, and reads inside a write's transaction, never come here.
 */
export class ReadRouter {
  private requiredLsn = 0n;
  /** Announcements heard whose primary position is not read yet. */
  private pendingFences = 0;
  private replayedLsn = -1n;
  /** When the primary was at a position the replica has since replayed. */
  private freshAsOf = 0;
  /** A fence whose position could not be read: the replica waits for a sample taken after it. */
  private notBefore = 0;
  private timer?: NodeJS.Timeout;
  private sampling = false;
  private stopped = false;
  /** Reads the replica answered (for metrics and tests). */
  replicaReads = 0;

  constructor(
    private readonly primary: DataSource,
    readonly replica: DataSource | undefined,
    private readonly bus: NotifyBus,
    private readonly maxLagMs = REPLICA_MAX_LAG_MS,
  ) {
    if (!replica) return;
    for (const channel of [REVOCATIONS_CHANNEL, KEYS_CHANNEL, CONFIG_CHANNEL])
      bus.on(channel, this.fence);
    bus.on('resync', this.fence);
    this.timer = setInterval(() => void this.sample(), SAMPLE_MS);
    this.timer.unref();
  }

  /** Whether a read now may go to the replica (see the class comment). */
  get isReplicaUsable(): boolean {
    return (
      !!this.replica &&
      !this.stopped &&
      this.bus.isConnected &&
      this.pendingFences === 0 &&
      this.replayedLsn >= this.requiredLsn &&
      this.freshAsOf > this.notBefore &&
      Date.now() - this.freshAsOf <= this.maxLagMs
    );
  }

  /**
   * Runs a read on the replica when it may answer and its answer passes `isTrusted`; otherwise (or
   * when the replica fails) on the primary.
   */
  async read<T>(
    run: (ds: DataSource) => Promise<T>,
    isTrusted: (value: T) => boolean = () => true,
  ): Promise<T> {
    if (this.isReplicaUsable) {
      try {
        const value = await run(this.replica!); // isReplicaUsable says it is set
        if (isTrusted(value)) {
          this.replicaReads++;
          return value;
        }
      } catch {
        // the replica is unreachable or cancelled the read (a replay conflict): the primary answers
      }
    }
    return run(this.primary);
  }

  /** The primary's WAL position now: at or past every commit announced before this call. */
  private readonly fence = (): void => {
    this.pendingFences++;
    this.primary
      .query(`SELECT pg_current_wal_lsn()::text AS lsn`)
      .then(
        (rows: Array<{ lsn: string }>) => {
          const at = lsn(rows[0].lsn);
          if (at > this.requiredLsn) this.requiredLsn = at;
        },
        // position unknown: keep the replica out until it has replayed past a later sample
        () => {
          this.notBefore = Date.now();
        },
      )
      .finally(() => this.pendingFences--);
  };

  private async sample(): Promise<void> {
    if (this.sampling || this.stopped) return;
    this.sampling = true;
    try {
      const at = Date.now();
      const [p] = await this.primary.query(`SELECT pg_current_wal_lsn()::text AS lsn`);
      const [r] = await this.replica!.query(`SELECT pg_last_wal_replay_lsn()::text AS lsn`); // set: the constructor starts no sampler without it
      if (!r?.lsn) return; // not a standby: never used
      const replayed = lsn(r.lsn);
      if (replayed > this.replayedLsn) this.replayedLsn = replayed;
      if (replayed >= lsn(p.lsn)) this.freshAsOf = at;
    } catch {
      // either side unreachable: freshAsOf ages past the bound and reads go to the primary
    } finally {
      this.sampling = false;
    }
  }

  /** Stops sampling and closes the replica's pool (at shutdown, after the HTTP server drained). */
  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const channel of [REVOCATIONS_CHANNEL, KEYS_CHANNEL, CONFIG_CHANNEL])
      this.bus.off(channel, this.fence);
    this.bus.off('resync', this.fence);
    if (this.replica?.isInitialized) await this.replica.destroy();
  }
}
