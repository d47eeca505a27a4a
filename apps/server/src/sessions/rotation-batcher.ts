/**
 * Group commit for rotations: while a rotation statement is in flight, the rotations that arrive
 * wait and go out together, as one statement over all their tokens (one round trip, one durable
 * commit for many refreshes). At low load a batch of one goes out at once: nothing waits for a
 * batch to fill. Each caller still gets its own outcome.
 *
 * A batch never holds one token twice (a second presentation goes in the next batch, where it finds
 * the token used and takes the transactional path: grace or reuse). A batch whose statement fails
 * (a deadlock with another instance, a lost connection) resolves every rotation in it as "not
 * done here": the statement changed nothing, and each caller takes the transactional path, which
 * retries or answers the error for itself.
 */
export interface BatchSender<I, R> {
  /** Sends the items as one statement; returns each written item's result by its index. */
  (items: I[]): Promise<Map<number, R>>;
}

interface Waiting<I, R> {
  item: I;
  key: string;
  resolve: (r: R | undefined) => void;
}

export class RotationBatcher<I, R> {
  private readonly queue: Waiting<I, R>[] = [];
  private inFlight = 0;

  constructor(
    private readonly send: BatchSender<I, R>,
    private readonly keyOf: (item: I) => string,
    /** Statements in flight at once: the rest wait and go out together. */
    private readonly maxInFlight: number,
    /** Rotations in one statement at most. */
    private readonly maxBatch: number,
    private readonly observe: {
      batch?: (size: number) => void;
      /** A batch's statement failed: its rotations went the transactional way. */
      failure?: (err: unknown, size: number) => void;
    } = {},
  ) {}

  /** The item's result, or undefined when the statement did not write it (or failed). */
  rotate(item: I): Promise<R | undefined> {
    return new Promise((resolve) => {
      this.queue.push({ item, key: this.keyOf(item), resolve });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch: Waiting<I, R>[] = [];
      const keys = new Set<string>();
      for (let i = 0; i < this.queue.length && batch.length < this.maxBatch;) {
        const w = this.queue[i];
        if (keys.has(w.key)) {
          i++; // the same token twice: the later presentation waits for the next batch
          continue;
        }
        keys.add(w.key);
        batch.push(w);
        this.queue.splice(i, 1);
      }
      this.inFlight++;
      this.observe.batch?.(batch.length);
      void this.flush(batch);
    }
  }

  private async flush(batch: Waiting<I, R>[]): Promise<void> {
    let results: Map<number, R> | undefined;
    try {
      results = await this.send(batch.map((w) => w.item));
    } catch (err) {
      results = undefined; // nothing was written: every caller takes the transactional path
      this.observe.failure?.(err, batch.length);
    }
    this.inFlight--;
    batch.forEach((w, i) => w.resolve(results?.get(i)));
    this.pump();
  }
}
