// A store that records every request made through it (what, which key, when it started and ended),
// to count the storage requests a piece of work costs and how many of them wait on each other.
import type { ListOptions, ObjectStore, PutOptions } from '../../shared/store/object-store.js';

export interface StoreCall {
  op: string;
  key: string;
  startMs: number;
  endMs: number;
}

export class CountingStore implements ObjectStore {
  calls: StoreCall[] = [];
  signedUrl?: (key: string, expiresInS: number) => Promise<string>;

  constructor(private readonly inner: ObjectStore) {
    // Only stores that sign URLs have the method: callers check for it to pick how to link an image.
    if (inner.signedUrl) this.signedUrl = (key, expiresInS) => this.record('sign', key, () => inner.signedUrl!(key, expiresInS));
  }

  get kind() {
    return this.inner.kind;
  }
  get capabilities() {
    return this.inner.capabilities;
  }

  private async record<T>(op: string, key: string, run: () => Promise<T>): Promise<T> {
    const startMs = performance.now();
    try {
      return await run();
    } finally {
      this.calls.push({ op, key, startMs, endMs: performance.now() });
    }
  }

  get(key: string) {
    return this.record('get', key, () => this.inner.get(key));
  }
  stat(key: string) {
    return this.record('stat', key, () => this.inner.stat(key));
  }
  put(key: string, body: Buffer | string, opts?: PutOptions) {
    return this.record(opts?.createOnly ? 'create' : 'put', key, () => this.inner.put(key, body, opts));
  }
  delete(key: string) {
    return this.record('delete', key, () => this.inner.delete(key));
  }
  /** One request, named after its first key. */
  deleteMany(keys: string[]) {
    return this.record('deleteMany', keys[0] ?? '', () => this.inner.deleteMany(keys));
  }
  move(from: string, to: string) {
    return this.record('move', to, () => this.inner.move(from, to));
  }
  list(prefix: string, opts?: ListOptions) {
    return this.record('list', prefix, () => this.inner.list(prefix, opts));
  }
  listFolders(prefix: string, opts?: ListOptions) {
    return this.record('listFolders', prefix, () => this.inner.listFolders(prefix, opts));
  }
}

/**
 * The longest chain of requests that waited on each other (each started after the one before it
 * ended) among those made between `fromMs` and `toMs`: the round trips a caller waits for then.
 */
export function sequentialDepth(calls: StoreCall[], fromMs: number, toMs: number): number {
  const counted = calls.filter((c) => c.startMs >= fromMs && c.endMs <= toMs).sort((a, b) => a.endMs - b.endMs);
  const depth = new Map<StoreCall, number>();
  let longest = 0;
  for (const c of counted) {
    let before = 0;
    for (const p of counted) if (p.endMs <= c.startMs) before = Math.max(before, depth.get(p) ?? 0);
    depth.set(c, before + 1);
    longest = Math.max(longest, before + 1);
  }
  return longest;
}

/** Calls grouped by what they touched: `get jobs/…` counts, for a readable report. */
export function callSummary(calls: StoreCall[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of calls) {
    const what = `${c.op} ${c.key.split('/')[0]}`;
    out[what] = (out[what] ?? 0) + 1;
  }
  return out;
}
