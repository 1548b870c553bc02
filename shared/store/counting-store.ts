// Wraps a store and counts its operations: how benchmarks report "store operations per job".
import type { ListOptions, ObjectStore, PutOptions } from './object-store.js';

export interface OpCounts {
  get: number;
  stat: number;
  put: number;
  list: number;
  delete: number;
}

export class CountingStore implements ObjectStore {
  readonly counts: OpCounts = { get: 0, stat: 0, put: 0, list: 0, delete: 0 };
  constructor(private readonly inner: ObjectStore) {}

  get kind() {
    return this.inner.kind;
  }
  get capabilities() {
    return this.inner.capabilities;
  }
  get(key: string) {
    this.counts.get++;
    return this.inner.get(key);
  }
  stat(key: string) {
    this.counts.stat++;
    return this.inner.stat(key);
  }
  put(key: string, body: Buffer | string, opts?: PutOptions) {
    this.counts.put++;
    return this.inner.put(key, body, opts);
  }
  list(prefix: string, opts?: ListOptions) {
    this.counts.list++;
    return this.inner.list(prefix, opts);
  }
  listFolders(prefix: string, opts?: ListOptions) {
    this.counts.list++;
    return this.inner.listFolders(prefix, opts);
  }
  delete(key: string) {
    this.counts.delete++;
    return this.inner.delete(key);
  }
  deleteMany(keys: string[]) {
    this.counts.delete++;
    return this.inner.deleteMany(keys);
  }
  move(from: string, to: string) {
    this.counts.put++;
    return this.inner.move(from, to);
  }
  total(): number {
    return Object.values(this.counts).reduce((a, b) => a + b, 0);
  }
}
