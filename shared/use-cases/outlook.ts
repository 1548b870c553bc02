// How a job is shown to a waiting client (status route and event stream alike): an image URL that
// still works, its queue position, ETA and poll hint. Positions come from the due jobs the workers
// report (with their metrics), shared by every request this function instance serves for a couple
// of seconds; only jobs newer than that report are looked up in the queue, with one short listing
// of what came due since. A status poll costs the same with ten jobs waiting or twenty thousand.
import type { JobDocument } from '../job/document.js';
import { type JobOutlook, outlookOf, pollHintMs } from '../job/eta.js';
import { imageLink } from '../job/image-url.js';
import { expectedMsOf } from '../kinds/durations.js';
import { type DueView, listDue, readQueueState } from '../metrics/read.js';
import type { SystemMetrics } from '../metrics/read.js';
import { keys } from '../store/keys.js';
import type { AppContext } from './context.js';

const SNAPSHOT_TTL_MS = 2_000;
/** A worker's report may miss markers written this long before it (clocks, listing delay). */
const REPORT_OVERLAP_MS = 5_000;
const cache = new WeakMap<object, { at: number; snap: Promise<{ metrics: SystemMetrics; view: DueView | null }> }>();

export function queueSnapshot(ctx: AppContext): Promise<{ metrics: SystemMetrics; view: DueView | null }> {
  const now = ctx.queue.now();
  const hit = cache.get(ctx.store);
  if (hit && now - hit.at < SNAPSHOT_TTL_MS) return hit.snap;
  const snap = readQueueState(ctx.store, now);
  cache.set(ctx.store, { at: now, snap });
  snap.catch(() => cache.delete(ctx.store));
  return snap;
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
