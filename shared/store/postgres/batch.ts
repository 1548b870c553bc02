// Coalescing statements, DataLoader style: the reads (or writes, creates, deletes) that many jobs
// issue in one turn of the event loop go to Postgres as one statement over arrays, and while every
// connection is busy the next batch keeps growing instead of queueing statements one by one. Each
// call still gets its own answer or its own error: a statement that fails as a whole is not
// retried as a batch — each of its items is run again alone, with that item's own retries, so one
// bad item or a lost connection is settled per call exactly as without batching.

export interface BatchKind<I, R> {
  /** One statement for all the items: each item's result, or the Error its call throws, in order. */
  many(items: I[]): Promise<Array<R | Error>>;
  /** One item alone, with its own retries: the path of every item of a batch that failed whole. */
  one(item: I, batchError: unknown): Promise<R>;
  /** Items with the same key never share a statement (an upsert cannot touch one row twice). */
  key(item: I): string;
}

interface Waiting<I, R> {
  item: I;
  resolve(value: R): void;
  reject(err: unknown): void;
}

/** Largest number of items in one statement (bounds its parameters and its plan). */
const MAX_ITEMS = 500;

/** Shares `slots` statements in flight (the pool's size) among the kinds of statement. */
export class Batcher {
  private inFlight = 0;
  private readonly queued: Array<BatchQueue<never, never>> = [];

  constructor(private readonly slots: number) {}

  /** A function that runs one call of this kind, batched with others of the same turn. */
  kind<I, R>(spec: BatchKind<I, R>): (item: I) => Promise<R> {
    const queue = new BatchQueue(this, spec);
    return (item) => queue.add(item);
  }

  /** @internal */
  take(): boolean {
    if (this.inFlight >= this.slots) return false;
    this.inFlight++;
    return true;
  }

  /** @internal A queue with items and no slot: flushed when one frees. */
  wait(queue: BatchQueue<never, never>): void {
    if (!this.queued.includes(queue)) this.queued.push(queue);
  }

  /** @internal */
  release(): void {
    this.inFlight--;
    while (this.inFlight < this.slots && this.queued.length > 0) this.queued.shift()!.flush();
  }
}

class BatchQueue<I, R> {
  private pending: Array<Waiting<I, R>> = [];
  private scheduled = false;

  constructor(
    private readonly batcher: Batcher,
    private readonly spec: BatchKind<I, R>,
  ) {}

  add(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      // After the callers of this turn (their microtasks included) have added theirs.
      setImmediate(() => {
        this.scheduled = false;
        this.flush();
      });
    });
  }

  flush(): void {
    while (this.pending.length > 0) {
      if (!this.batcher.take()) {
        this.batcher.wait(this as unknown as BatchQueue<never, never>);
        return;
      }
      void this.send(this.next());
    }
  }

  /** The oldest items, one per key (a later call on a key already in it waits for the next batch), in key order. */
  private next(): Array<Waiting<I, R>> {
    const keys = new Set<string>();
    const batch: Array<Waiting<I, R>> = [];
    const rest: Array<Waiting<I, R>> = [];
    for (const w of this.pending) {
      const key = this.spec.key(w.item);
      if (batch.length < MAX_ITEMS && !keys.has(key)) {
        keys.add(key);
        batch.push(w);
      } else rest.push(w);
    }
    this.pending = rest;
    // In key order: two batches in flight that write some of the same rows lock them in the same
    // order, so they wait for each other instead of deadlocking (a statement per call never held
    // two row locks).
    return batch.sort((a, b) => (this.spec.key(a.item) < this.spec.key(b.item) ? -1 : 1));
  }

  private async send(batch: Array<Waiting<I, R>>): Promise<void> {
    let results: Array<R | Error>;
    try {
      results = await this.spec.many(batch.map((w) => w.item));
    } catch (err) {
      this.batcher.release();
      for (const w of batch) this.spec.one(w.item, err).then(w.resolve, w.reject);
      return;
    }
    this.batcher.release();
    batch.forEach((w, i) => {
      const r = results[i]!;
      if (r instanceof Error) w.reject(r);
      else w.resolve(r);
    });
  }
}
