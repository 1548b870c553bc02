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
/** Time lanes listed side by side when more than a page is due. */
const LANES = 4;

/** The group of every running marker (a stall to check, whoever's job it is). */
export const RUNNING = 'running';

export interface QueueGroup {
  entries: QueueEntry[];
  /** Entries before it are forgotten. */
  head: number;
}

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
  /** Entries by group, oldest first; null once an entry is added (forgotten ones are skipped). */
  private grouped: Map<string, QueueGroup> | null = null;
  /**
   * Jobs forgotten lately, and when: a listing reaches back OVERLAP_MS and may still show the marker
   * a job had before it was claimed (the claim drops it a moment later). Brought back, the job would
   * count as waiting in this worker's report until a claim found it taken. Forgotten by marker: that
   * marker only; forgotten whole (claimed here): every marker that fell due by then.
   */
  private readonly gone = new Map<string, { atMs: number; key: string | null }>();

  constructor(private readonly deps: QueueDeps) {}

  get size(): number {
    return this.entries.size;
  }

  /**
   * Entries in queue order (oldest first). Sorted once per change of the set, not per call: the claim
   * loop asks after every job that ends, and the view may hold tens of thousands of entries. A
   * forgotten entry is cut out of the sorted list (see forget), so claims do not re-sort it.
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

  /**
   * Entries by group — each owner's pending markers, and every running marker under RUNNING — each
   * oldest first. Built again only when an entry is added (a listing, once a poll interval), not
   * when one goes (every claim): forgotten entries are passed over by `ready`, so picking the next
   * jobs costs what is picked, not the length of the queue.
   */
  groups(): Map<string, QueueGroup> {
    if (!this.grouped) {
      this.grouped = new Map();
      for (const entry of this.all()) {
        const key = entry.running ? RUNNING : entry.group;
        const group = this.grouped.get(key);
        if (group) group.entries.push(entry);
        else this.grouped.set(key, { entries: [entry], head: 0 });
      }
    }
    return this.grouped;
  }

  /** Up to `max` entries of `group` still in the view that `usable` accepts, oldest first. */
  ready(group: QueueGroup, max: number, usable: (entry: QueueEntry) => boolean): QueueEntry[] {
    const live = (entry: QueueEntry) => this.entries.get(entry.jobId) === entry;
    // Forgotten entries at the front stay forgotten (one that comes back is a new entry): skip them for good.
    while (group.head < group.entries.length && !live(group.entries[group.head]!)) group.head++;
    const picked: QueueEntry[] = [];
    for (let i = group.head; i < group.entries.length && picked.length < max; i++) {
      const entry = group.entries[i]!;
      if (live(entry) && usable(entry)) picked.push(entry);
    }
    return picked;
  }

  /** Forget a job (it ended, or its marker is gone); a newer marker of it is found by the next listing. */
  forget(jobId: string, key?: string): void {
    const entry = this.entries.get(jobId);
    if (key === undefined || entry?.key === key) this.gone.set(jobId, { atMs: this.deps.now(), key: key ?? null });
    if (entry && (key === undefined || entry.key === key)) {
      const inOrder = this.sortedAt === this.version;
      this.entries.delete(jobId);
      this.version++;
      // Every claim forgets its job: cut it out of the sorted list (found by name) instead of
      // sorting the rest again at the next all() — 0.2 ms a claim with 3,000 due, 2 ms with 20,000.
      const at = inOrder ? this.sortedIndex(entry.name) : -1;
      if (this.sorted[at] === entry) {
        this.sorted.splice(at, 1);
        this.sortedAt = this.version;
      }
    }
  }

  /** Where `name` is (or would go) in the sorted list. */
  private sortedIndex(name: string): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.sorted[mid]!.name < name) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Brings the view up to date. `onPage` sees new entries as they come, in queue order, so a worker
   * that starts behind a long queue claims from the first page without waiting for the last.
   */
  async refresh(onPage?: () => void): Promise<void> {
    const now = this.deps.now();
    const full = this.lastFullMs === 0 || now - this.lastFullMs >= FULL_EVERY_MS;
    const seen = full ? new Set<string>() : null;
    const accept = (entries: QueueEntry[]) => {
      for (const entry of entries) {
        seen?.add(entry.jobId);
        this.add(entry);
      }
      onPage?.();
    };
    const startAfter = full ? undefined : keys.queueTimeBefore(this.horizonMs - OVERLAP_MS);
    const first = await this.listPage(startAfter, null, now, Number.POSITIVE_INFINITY);
    accept(first.entries);
    const lastMs = first.entries.at(-1)?.runAfterMs;
    if (first.cursor !== null && lastMs !== undefined && now - lastMs > LANES) {
      // More than a page is due: list the rest as time lanes side by side, not a page at a time
      // (20,000 markers are 20 pages, 20 round trips before the newest is seen). Each lane holds the
      // names from its start time up to the next lane's; entries join the view in lane order, so
      // jobs are still taken oldest first.
      const starts = Array.from({ length: LANES - 1 }, (_, i) => lastMs + Math.ceil(((now + 1 - lastMs) * (i + 1)) / LANES));
      const lanes = [
        this.listLane(null, first.cursor, now, starts[0]!),
        ...starts.map((from, i) => this.listLane(keys.queueTimeBefore(from), null, now, starts[i + 1] ?? Number.POSITIVE_INFINITY)),
      ];
      // Accepted as each lane and all before it are done; a lane that fails fails the refresh when
      // its turn comes (handled meanwhile, so an early failure is not an unhandled rejection).
      for (const lane of lanes) lane.catch(() => undefined);
      for (const lane of lanes) accept(await lane);
    } else {
      let cursor = first.cursor;
      while (cursor !== null) {
        const page = await this.listPage(undefined, cursor, now, Number.POSITIVE_INFINITY);
        accept(page.entries);
        cursor = page.cursor;
      }
    }
    if (seen) {
      // Markers removed by others since the last full listing (their jobs ended elsewhere).
      for (const [jobId, entry] of this.entries) if (!seen.has(jobId) && entry.runAfterMs <= now - OVERLAP_MS) this.forget(jobId);
      this.lastFullMs = now;
    }
    this.horizonMs = now;
    // A marker older than its job's forgetting is listed again only while the claim drops it.
    for (const [jobId, g] of this.gone) if (g.atMs < now - 2 * OVERLAP_MS) this.gone.delete(jobId);
  }

  /**
   * Lists the head of the queue again and forgets the entries in its time range that are no longer
   * there: with other workers on the store, the jobs they claimed or ended since this worker listed
   * them (a short listing sees only what became due; the whole folder comes every few minutes).
   * Each such entry would otherwise cost a claim that finds the job taken, then a look that finds it
   * ended. One request, for workers that lose races (worker/contention.ts). Ranges are compared by
   * time, never by whole names: a server may order names case-insensitively.
   */
  async pruneHead(): Promise<number> {
    const oldest = this.all()[0];
    if (!oldest) return 0;
    const page = await this.deps.store.list(keys.queueFolder, { limit: PAGE, startAfter: keys.queueTimeBefore(oldest.runAfterMs) });
    const listed = new Set(page.items.map((i) => i.key));
    // The whole rest of the folder was listed, or up to (not including) the last listed time.
    const lastMs = page.cursor === null ? Number.POSITIVE_INFINITY : (parseQueueMarker(page.items.at(-1)?.name ?? '')?.runAfterMs ?? Number.NEGATIVE_INFINITY);
    let dropped = 0;
    for (const entry of [...this.entries.values()]) {
      if (entry.runAfterMs < lastMs && !listed.has(entry.key)) {
        this.forget(entry.jobId, entry.key);
        dropped++;
      }
    }
    return dropped;
  }

  /** Every due entry from `startAfter` (or `cursor`) up to markers due at `beforeMs`. */
  private async listLane(startAfter: string | null, cursor: string | null, now: number, beforeMs: number): Promise<QueueEntry[]> {
    const entries: QueueEntry[] = [];
    let page = await this.listPage(startAfter ?? undefined, cursor, now, beforeMs);
    entries.push(...page.entries);
    while (page.cursor !== null) {
      page = await this.listPage(undefined, page.cursor, now, beforeMs);
      entries.push(...page.entries);
    }
    return entries;
  }

  /**
   * One page of due entries. Name order is time order, so the listing ends (cursor null) at the first
   * marker due at `beforeMs` or later, or not yet due at `now`.
   */
  private async listPage(
    startAfter: string | undefined,
    cursor: string | null,
    now: number,
    beforeMs: number,
  ): Promise<{ entries: QueueEntry[]; cursor: string | null }> {
    const page = await this.deps.store.list(keys.queueFolder, { limit: PAGE, cursor, startAfter });
    const entries: QueueEntry[] = [];
    for (const item of page.items) {
      const atMs = parseQueueMarker(item.name)?.runAfterMs;
      if (atMs !== undefined && (atMs >= beforeMs || atMs > now)) return { entries, cursor: null };
      const entry = await this.entryOf(item);
      if (entry) entries.push(entry);
    }
    return { entries, cursor: page.cursor };
  }

  private add(entry: QueueEntry): void {
    // Markers are named by when they fall due; one written after the job was forgotten (a retry, a
    // hand-back, a claim's running marker) falls due after that.
    const gone = this.gone.get(entry.jobId);
    if (gone && (gone.key === null ? entry.runAfterMs <= gone.atMs : entry.key === gone.key)) return;
    const known = this.entries.get(entry.jobId);
    // A job may briefly have two markers (one being replaced): the newer one says where it stands.
    if (known && known.name >= entry.name) return;
    this.entries.set(entry.jobId, known ? { ...entry, retryAt: entry.running === known.running ? known.retryAt : 0 } : entry);
    this.version++;
    this.grouped = null;
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
