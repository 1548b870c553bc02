// A Map that also keeps its keys in code-unit order, so a keyset listing finds its page by binary
// search instead of sorting the whole bucket per request. The real server reads an index; a
// stand-in that scanned 60,000 objects per page made a 20,000-job backlog cost CPU the real
// server does not, and the benchmark measured the stand-in instead of the queue.

export class SortedMap<V> extends Map<string, V> {
  private readonly sorted: string[] = [];

  override set(key: string, value: V): this {
    // Map's constructor calls set before the field initialisers run.
    if (this.sorted && !super.has(key)) this.sorted.splice(this.indexAfter(key, false), 0, key);
    return super.set(key, value);
  }

  override delete(key: string): boolean {
    if (!super.delete(key)) return false;
    this.sorted.splice(this.indexAfter(key, false), 1);
    return true;
  }

  override clear(): void {
    super.clear();
    this.sorted.length = 0;
  }

  /** Keys in code-unit order, from the first one greater than `after`. */
  keysAfter(after: string): Generator<string> {
    return this.keysFromIndex(this.indexAfter(after, true));
  }

  /** Keys in code-unit order, from the first one greater than or equal to `from`. */
  keysFrom(from: string): Generator<string> {
    return this.keysFromIndex(this.indexAfter(from, false));
  }

  private *keysFromIndex(start: number): Generator<string> {
    for (let i = start; i < this.sorted.length; i++) yield this.sorted[i]!;
  }

  /** The first index whose key is > `key` (strict) or >= `key`. */
  private indexAfter(key: string, strict: boolean): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const k = this.sorted[mid]!;
      if (k < key || (strict && k === key)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
