/**
 * Group commit: while enough statements of one kind are in flight, the items that arrive wait and
 * go out together, as one statement over all of them (one round trip, and for a write one durable
 * commit, for many requests). At low load a batch of one goes out at once: nothing waits for a
 * batch to fill. Each caller still gets its own result. Two kinds use it: refresh-token rotations
 * and access-token liveness checks (SessionsRepository).
 *
 * With `keyOf`, a batch never holds one key twice: for rotations, a second presentation of a token
 * goes in the next batch, where it finds the token used and takes the transactional path (grace or
 * reuse). A batch whose statement fails (a deadlock with another instance, a lost connection)
 * resolves every item in it as "not done here": each caller then takes its own path (a rotation
 * the transactional one, a liveness check a statement of its own), which retries or answers the
 * error for itself.
 */
export interface BatchSender<I, R> {
  /** Sends the items as one statement; returns each done item's result by its index. */
  (items: I[]): Promise<Map<number, R>>;
}

interface Waiting<I, R> {
  item: I;
  key: string | undefined;
  resolve: (r: R | undefined) => void;
}

export class StatementBatcher<I, R> {
  private readonly queue: Waiting<I, R>[] = [];
  private inFlight = 0;

  constructor(
    private readonly send: BatchSender<I, R>,
    /** Statements in flight at once: the rest wait and go out together. */
    private readonly maxInFlight: number,
    /** Items in one statement at most. */
    private readonly maxBatch: number,
    private readonly o: {
      /** Items that must not share a statement have the same key (none: any may). */
      keyOf?: (item: I) => string;
      batch?: (size: number) => void;
      /** Items waiting for a place in flight, after each change. */
      waiting?: (count: number) => void;
      /** A batch's statement failed: its items were resolved as not done. */
      failure?: (err: unknown, size: number) => void;
    } = {},
  ) {}

  /** The item's result, or undefined when the statement did not do it (or failed). */
  submit(item: I): Promise<R | undefined> {
    return new Promise((resolve) => {
      this.queue.push({ item, key: this.o.keyOf?.(item), resolve });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch: Waiting<I, R>[] = [];
      const keys = new Set<string>();
      for (let i = 0; i < this.queue.length && batch.length < this.maxBatch;) {
        const w = this.queue[i];
        if (w.key !== undefined && keys.has(w.key)) {
          i++; // the same key twice: the later item waits for the next batch
          continue;
        }
        if (w.key !== undefined) keys.add(w.key);
        batch.push(w);
        this.queue.splice(i, 1);
      }
      this.inFlight++;
      this.o.batch?.(batch.length);
      void this.flush(batch);
    }
    this.o.waiting?.(this.queue.length);
  }

  private async flush(batch: Waiting<I, R>[]): Promise<void> {
    let results: Map<number, R> | undefined;
    try {
      results = await this.send(batch.map((w) => w.item));
    } catch (err) {
      results = undefined; // the statement did nothing: every caller takes its own path
      this.o.failure?.(err, batch.length);
    }
    this.inFlight--;
    batch.forEach((w, i) => w.resolve(results?.get(i)));
    this.pump();
  }
}
