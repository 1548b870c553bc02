// The queue as one worker sees it: every due marker it knows of, kept in memory and brought up to
// date by listing only what became due since the last look (names are in time order, so that is one
// short listing after `startAfter`, whatever waits behind it). The whole folder is listed at start and
// every few minutes, to forget markers others removed and to catch any written with a time already
// behind the last look (a clock behind ours by more than the overlap).
import { keys, parseQueueMarker } from '../shared/store/keys.js';
import type { ListEntry } from '../shared/store/object-store.js';
import { markerProject } from '../shared/queue/markers.js';
import type { QueueDeps } from '../shared/queue/deps.js';
import { MINUTE, SECOND } from '../shared/time.js';

/** Each listing reaches back this far, for markers written by a clock slightly behind ours. */
const OVERLAP_MS = 5 * SECOND;
/** How often the whole folder is listed again. */
const FULL_EVERY_MS = 5 * MINUTE;
const PAGE = 1000;
/** Time ranges a full listing reads side by side (see listAllDue). */
const LANES = 8;

export interface QueueEntry {
  key: string;
  name: string;
  jobId: string;
  /** Null only until a marker of an older version has been read. */
  projectId: string | null;
  runAfterMs: number;
  /** `r`: the job was running when the marker was written (a stall shows as it coming due). */
  running: boolean;
  /** The owner's tag (`none`, or `legacy` for markers of an older version). */
  group: string;
  /** Not tried again before this time (busy under a live lease, not due, unreadable, …). */
  retryAt: number;
}

export class QueueView {
  private readonly entries = new Map<string, QueueEntry>();
  /** Everything due up to this time has been listed. */
  private horizonMs = 0;
  private lastFullMs = 0;
  /** Changes whenever the set of entries does. */
  version = 0;
  private sorted: QueueEntry[] = [];
  private sortedAt = -1;

  constructor(private readonly deps: QueueDeps) {}

  get size(): number {
    return this.entries.size;
  }

  /**
   * Entries in queue order (oldest first). Sorted once per change of the set, not per call: the claim
   * loop asks after every job that ends, and the view may hold tens of thousands of entries.
   */
  all(): QueueEntry[] {
    if (this.sortedAt !== this.version) {
      this.sorted = [...this.entries.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      this.sortedAt = this.version;
    }
    return this.sorted;
  }

  get(jobId: string): QueueEntry | undefined {
    return this.entries.get(jobId);
  }

  /** Forget a job (it ended, or its marker is gone); a newer marker of it is found by the next listing. */
  forget(jobId: string, key?: string): void {
    const entry = this.entries.get(jobId);
    if (entry && (key === undefined || entry.key === key)) {
      this.entries.delete(jobId);
      this.version++;
    }
  }

  /**
   * Brings the view up to date. `onPage` sees each page's new entries as they come, so a worker
   * that starts behind a long queue claims from the first page without waiting for the last.
   */
  async refresh(onPage?: () => void): Promise<void> {
    const now = this.deps.now();
    if (this.lastFullMs === 0 || now - this.lastFullMs >= FULL_EVERY_MS) {
      const seen = new Set<string>();
      await this.listAllDue(now, seen, onPage);
      // Markers removed by others since the last full listing (their jobs ended elsewhere).
      for (const [jobId, entry] of this.entries) if (!seen.has(jobId) && entry.runAfterMs <= now - OVERLAP_MS) this.forget(jobId);
      this.lastFullMs = now;
    } else {
      await this.listDue({ startAfter: keys.queueTimeBefore(this.horizonMs - OVERLAP_MS) }, now + 1, now, null, onPage);
    }
    this.horizonMs = now;
  }

  /**
   * Every due marker. The first page says where the queue begins; the rest is split by marker time
   * into lanes listed side by side, so a worker starting behind 20,000 markers has them all (the
   * newest, another owner's claimable job among them) in a few round trips rather than twenty.
   */
  private async listAllDue(now: number, seen: Set<string>, onPage?: () => void): Promise<void> {
    const first = await this.deps.store.list(keys.queueFolder, { limit: PAGE });
    const ended = await this.take(first.items, now + 1, now, seen);
    onPage?.();
    if (ended || first.cursor === null) return;
    const fromMs = parseQueueMarker(first.items.at(-1)!.name)?.runAfterMs;
    if (fromMs === undefined) return this.listDue({ cursor: first.cursor }, now + 1, now, seen, onPage);
    // Lane i holds the markers due in [bounds[i], bounds[i + 1]); the first goes on from the page read.
    const bounds = Array.from({ length: LANES + 1 }, (_, i) => fromMs + Math.floor(((now + 1 - fromMs) * i) / LANES));
    await Promise.all(
      bounds.slice(0, -1).map((from, i) => {
        const until = bounds[i + 1]!;
        if (i > 0 && until <= from) return null;
        return this.listDue(i === 0 ? { cursor: first.cursor } : { startAfter: keys.queueTimeBefore(from) }, until, now, seen, onPage);
      }),
    );
  }

  /** Lists on from `at` until a marker due at or after `untilMs`, or not yet due at `now`. */
  private async listDue(at: { cursor?: string | null; startAfter?: string }, untilMs: number, now: number, seen: Set<string> | null, onPage?: () => void) {
    let cursor = at.cursor ?? null;
    let startAfter = cursor === null ? at.startAfter : undefined;
    do {
      const page = await this.deps.store.list(keys.queueFolder, { limit: PAGE, cursor, startAfter });
      const ended = await this.take(page.items, untilMs, now, seen);
      onPage?.();
      if (ended) return;
      cursor = page.cursor;
      startAfter = undefined;
    } while (cursor !== null);
  }

  /** Adds a page's markers; true once one is due at or after `untilMs` or after `now` (names are in time order: the rest are too). */
  private async take(items: ListEntry[], untilMs: number, now: number, seen: Set<string> | null): Promise<boolean> {
    for (const item of items) {
      const entry = await this.entryOf(item);
      if (!entry) continue;
      if (entry.runAfterMs >= untilMs || entry.runAfterMs > now) return true;
      seen?.add(entry.jobId);
      this.add(entry);
    }
    return false;
  }

  private add(entry: QueueEntry): void {
    const known = this.entries.get(entry.jobId);
    // A job may briefly have two markers (one being replaced): the newer one says where it stands.
    if (known && known.name >= entry.name) return;
    this.entries.set(entry.jobId, known ? { ...entry, retryAt: entry.running === known.running ? known.retryAt : 0 } : entry);
    this.version++;
  }

  private async entryOf(item: ListEntry): Promise<QueueEntry | null> {
    const parsed = parseQueueMarker(item.name);
    if (!parsed) return null;
    const known = this.entries.get(parsed.jobId);
    let projectId = parsed.projectId ?? (known?.key === item.key ? known.projectId : null);
    if (projectId === null) {
      // A marker of an older version: its project is in its body (read once).
      const object = await this.deps.store.get(item.key);
      if (!object) return null;
      projectId = markerProject(object.body);
      if (projectId === null) {
        this.deps.log.warn({ key: item.key }, 'removing unreadable queue marker');
        await this.deps.store.delete(item.key);
        return null;
      }
    }
    return {
      key: item.key,
      name: item.name,
      jobId: parsed.jobId,
      projectId,
      runAfterMs: parsed.runAfterMs,
      running: parsed.state === 'r',
      group: parsed.owner ?? 'legacy',
      retryAt: 0,
    };
  }
}
