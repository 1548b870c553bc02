// Queue position, ETA and poll hint for status answers. The snapshot they come from (queue order,
// worker reports) is shared by every request this function instance serves for a couple of
// seconds, so a crowd of pollers costs the store a few listings, not one per poll.
import type { JobDocument } from '../../shared/job/document.js';
import { type JobOutlook, outlookOf, pollHintMs, type QueueSnapshot } from '../../shared/job/eta.js';
import { expectedMsOf } from '../../shared/kinds/durations.js';
import { queueMarkers, readMetrics } from '../../shared/metrics/read.js';
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
