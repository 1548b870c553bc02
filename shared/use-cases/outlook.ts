// How a job is shown to a waiting client (status route and event stream alike): an image URL that
// still works, its queue position, ETA and poll hint. The snapshot they come from (queue order,
// worker reports) is shared by every request this function instance serves for a couple of
// seconds, so a crowd of pollers costs the store a few listings, not one per poll.
import type { JobDocument } from '../job/document.js';
import { type JobOutlook, outlookOf, pollHintMs, type QueueSnapshot } from '../job/eta.js';
import { imageLink } from '../job/image-url.js';
import { expectedMsOf } from '../kinds/durations.js';
import { queueMarkers, readMetrics } from '../metrics/read.js';
import type { AppContext } from './context.js';

const SNAPSHOT_TTL_MS = 2_000;
const cache = new WeakMap<object, { at: number; snap: Promise<QueueSnapshot> }>();

export function queueSnapshot(ctx: AppContext, fresh = false): Promise<QueueSnapshot> {
  const now = ctx.queue.now();
  const hit = cache.get(ctx.store);
  if (hit && !fresh && now - hit.at < SNAPSHOT_TTL_MS) return hit.snap;
  const snap = (async () => {
    const markers = await queueMarkers(ctx.store);
    return { markers, metrics: await readMetrics(ctx.store, now, markers) };
  })();
  cache.set(ctx.store, { at: now, snap });
  snap.catch(() => cache.delete(ctx.store));
  return snap;
}

export async function outlookFor(ctx: AppContext, job: JobDocument): Promise<{ outlook: JobOutlook | null; pollAfterMs: number | null }> {
  const now = ctx.queue.now();
  if (job.status !== 'pending' && job.status !== 'processing') return { outlook: null, pollAfterMs: null };
  const typical = expectedMsOf(job.kind, ctx.config.renderer.kind);
  let snap = await queueSnapshot(ctx);
  // A job newer than the shared snapshot is not in it yet: look again rather than misplace it.
  if (job.status === 'pending' && !snap.markers.some((m) => m.endsWith(`-${job.jobId}`))) snap = await queueSnapshot(ctx, true);
  const outlook = outlookOf(job, snap, now, typical);
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
