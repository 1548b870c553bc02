// Several workers on one store list the same queue in the same order, so each claims the same
// oldest jobs at the same moment and all but one lose each race. A lost claim costs nearly what a
// won one does (the document read, a slot, a lease, freeing the slot; on a server without atomic
// creates, a settle and a read-back each): three workers on the real server lost two claims in
// three. Once this worker loses one, it picks its next jobs at random among a wider head of the
// queue, so that racing workers mostly pick different jobs. A worker alone never loses a race and
// keeps strict queue order; with several, order was only ever approximate (who wins a race is).
import { SECOND } from '../shared/time.js';

/** Once contended, `n` jobs are picked among the first `n × SPREAD` that are ready. */
export const SPREAD = 8;
/** How long one lost race keeps the picks spread. */
export const CONTENDED_MS = 10 * SECOND;

export class Contention {
  private until = 0;
  /** Claims lost to another worker since start (for /healthz). */
  lostClaims = 0;

  constructor(
    private readonly now: () => number,
    private readonly random: () => number = Math.random,
  ) {}

  /** A claim found its job taken by another claimer since this worker listed it. */
  lost(): void {
    this.lostClaims++;
    this.until = this.now() + CONTENDED_MS;
  }

  get contended(): boolean {
    return this.now() < this.until;
  }

  /** How many of a group's first ready entries to choose `n` from. */
  window(n: number): number {
    return this.contended ? n * SPREAD : n;
  }

  /** `n` of `entries` (oldest first): the first `n`, or once contended `n` at random, still oldest first. */
  pick<T>(entries: T[], n: number): T[] {
    if (n <= 0) return [];
    if (entries.length <= n || !this.contended) return entries.slice(0, n);
    // A partial Fisher–Yates over the indices: n distinct ones, each equally likely.
    const idx = entries.map((_, i) => i);
    for (let i = 0; i < n; i++) {
      const j = i + Math.floor(this.random() * (idx.length - i));
      [idx[i], idx[j]] = [idx[j]!, idx[i]!];
    }
    return idx
      .slice(0, n)
      .sort((a, b) => a - b)
      .map((i) => entries[i]!);
  }
}
