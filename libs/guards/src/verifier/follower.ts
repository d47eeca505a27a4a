import type { TesseraAuthOptions } from '../options';

/**
 * What the guard's two followers of the issuer share (the revocation feed, a Shared Signals
 * stream): one loop, started once, whose first contact with the issuer resolves `start`; the
 * staleness of the last contact; their entries pruned every 30 s; a stop that ends the request in
 * flight.
 */
export abstract class Follower {
  protected abort?: AbortController;
  protected stopped = false;
  private pruneTimer?: NodeJS.Timeout;
  private readonly waiters = new Set<() => void>();
  lastContactAt = 0;
  isConnected = false;

  /** @param name what the follower follows, for the error of a start that timed out. */
  constructor(
    protected readonly o: TesseraAuthOptions,
    private readonly name: string,
  ) {}

  /**
   * Resolves at the first contact with the issuer (the feed's stream open or a page read, the
   * stream's first poll answered), or rejects after a timeout.
   */
  start(timeoutMs = 10_000): Promise<void> {
    this.pruneTimer = setInterval(() => this.prune(), 30_000);
    this.pruneTimer.unref();
    const ready = new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${this.name} unreachable`)), timeoutMs);
      t.unref();
      this.waiters.add(() => {
        clearTimeout(t);
        resolve();
      });
    });
    void this.loop();
    return ready;
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
    clearInterval(this.pruneTimer);
  }

  get isStale(): boolean {
    return Date.now() - this.lastContactAt > (this.o.feedStalenessSeconds ?? 30) * 1000;
  }

  /** The issuer answered: the last contact is now, and a waiting `start` resolves. */
  protected contact(): void {
    this.lastContactAt = Date.now();
    for (const w of this.waiters) w();
    this.waiters.clear();
  }

  /** Follows until stopped, contacting the issuer again after every failure. */
  protected abstract loop(): Promise<void>;

  /** Forgets the entries no token can need any more. */
  protected abstract prune(): void;
}
