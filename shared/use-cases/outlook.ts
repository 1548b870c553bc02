// How a job is shown to a waiting client (status route and event stream alike): an image URL that
// still works, its queue position, ETA and poll hint. Positions come from the due jobs the workers
// report (with their metrics), shared by every request this function instance serves for a couple
// of seconds (and a few more while the next is read); only jobs newer than that report are looked
// up in the queue, with one short listing of what came due since. A status poll costs the same with
// ten jobs waiting or twenty thousand (on fs, a listing reads the whole folder all the same).
import type { JobDocument } from '../job/document.js';
import { type JobOutlook, outlookOf, pollHintMs } from '../job/eta.js';
import { imageLink } from '../job/image-url.js';
import { expectedMsOf } from '../kinds/durations.js';
import { type DueView, listDue, readQueueState } from '../metrics/read.js';
import type { SystemMetrics } from '../metrics/read.js';
import { keys } from '../store/keys.js';
import type { AppContext } from './context.js';

/** A snapshot this young is served as it is. */
const SNAPSHOT_TTL_MS = 2_000;
/**
 * One older than the TTL but not this old is still served, while a fresh one loads for the next
 * poll: a poll never waits for the reports (a listing, then a read — two round trips of a storage
 * server that a draining worker keeps busy) unless its instance was idle this long. Positions are no
 * staler for it: a busy instance reloads every TTL, as before.
 */
const SNAPSHOT_STALE_MS = 7_000;
/** A worker's report may miss markers written this long before it (clocks, listing delay). */
const REPORT_OVERLAP_MS = 5_000;
type QueueState = { metrics: SystemMetrics; view: DueView | null };
interface Cached {
  at: number;
  snap: Promise<QueueState>;
  /** The snapshot, once loaded. */
  value?: QueueState;
  /** A fresh one loading while this one is served. */
  next?: Promise<unknown>;
}
const cache = new WeakMap<object, Cached>();

export function queueSnapshot(ctx: AppContext): Promise<QueueState> {
  const now = ctx.queue.now();
  const hit = cache.get(ctx.store);
  if (hit && now - hit.at < SNAPSHOT_TTL_MS) return hit.snap;
  if (hit?.value && now - hit.at < SNAPSHOT_STALE_MS) {
    hit.next ??= load(ctx, now).catch(() => (hit.next = undefined));
    return hit.snap;
  }
  return load(ctx, now);
}

/** Reads the reports; the snapshot is cached once it is read (a failed read is not). */
function load(ctx: AppContext, now: number): Promise<QueueState> {
  const entry: Cached = { at: now, snap: readQueueState(ctx.store, now) };
  // Served to polls only once loaded while a stale one is still served, at once when there is none.
  const current = cache.get(ctx.store);
  if (!current?.value || now - current.at >= SNAPSHOT_STALE_MS) cache.set(ctx.store, entry);
  entry.snap.then(
    (value) => {
      entry.value = value;
      const latest = cache.get(ctx.store);
      if (!latest || latest.at <= entry.at) cache.set(ctx.store, entry);
    },
    () => {
      if (cache.get(ctx.store) === entry) cache.delete(ctx.store);
    },
  );
  return entry.snap;
}

/** Pending jobs due before this one: from the report, plus a listing of what is newer than it. */
async function waitingAhead(ctx: AppContext, job: JobDocument, view: DueView | null, now: number): Promise<number> {
  const dueAt = Date.parse(job.runAfter);
  const known = view ? view.at - REPORT_OVERLAP_MS : 0;
  let ahead = view ? countBefore(view.due, Math.min(dueAt, known)) : 0;
  if (dueAt > known) {
    const newer = await listDue(ctx.store, Math.min(now, dueAt), view ? keys.queueTimeBefore(known) : undefined);
    ahead += newer.filter((d) => d.at < dueAt && d.at >= known && d.jobId !== job.jobId).length;
  }
  return ahead;
}

/** How many of the sorted times are before `t`. */
function countBefore(sorted: number[], t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export async function outlookFor(ctx: AppContext, job: JobDocument): Promise<{ outlook: JobOutlook | null; pollAfterMs: number | null }> {
  const now = ctx.queue.now();
  if (job.status !== 'pending' && job.status !== 'processing') return { outlook: null, pollAfterMs: null };
  const typical = expectedMsOf(job.kind, ctx.config.renderer.kind);
  const { metrics, view } = await queueSnapshot(ctx);
  const ahead = job.status === 'pending' ? await waitingAhead(ctx, job, view, now) : 0;
  const outlook = outlookOf(job, { waitingAhead: ahead, metrics }, now, typical);
  return { outlook, pollAfterMs: pollHintMs(job, outlook, now) };
}

/** A signed image URL this close to expiry is replaced in the answer by a fresh one. */
const RESIGN_WITHIN_MS = 10 * 60 * 1000;

/** Old jobs outlive their signed URL: answer with a new one (the document is not rewritten). */
export async function withFreshImageUrl(ctx: AppContext, job: JobDocument): Promise<JobDocument> {
  if (!job.result || !job.imageUrlExpiresAt || Date.parse(job.imageUrlExpiresAt) - Date.now() > RESIGN_WITHIN_MS) return job;
  const link = await imageLink(ctx.store, job, job.result.key, { ttlS: ctx.config.signedUrlTtlS });
  return { ...job, imageUrl: link.url, imageUrlExpiresAt: link.expiresAt };
}
