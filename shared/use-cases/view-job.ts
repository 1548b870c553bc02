// Where a job stands, as a waiting client sees it (status route and event stream alike): the
// document with an image URL that still works, its queue position, ETA and poll hint, and its
// webhook deliveries.
import type { Caller } from '../auth/caller.js';
import type { JobDocument } from '../job/document.js';
import type { JobOutlook } from '../job/eta.js';
import { type DeliveryRecord, readDeliveries } from '../webhooks/deliveries.js';
import type { AppContext } from './context.js';
import { outlookFor, withFreshImageUrl } from './outlook.js';
import { type JobRef, visibleJob } from './visible-job.js';

export interface JobView {
  job: JobDocument;
  /** Covers the document and its queue position; null when the answer holds a freshly signed URL. */
  etag: string | null;
  /** Changes whenever the document does (the event stream's event id). */
  version: string;
  outlook: JobOutlook | null;
  pollAfterMs: number | null;
  webhookDeliveries?: DeliveryRecord[];
}

export async function viewJob(ctx: AppContext, caller: Caller, ref: JobRef, opts: { deliveries?: boolean } = {}): Promise<JobView> {
  const { object, job: stored } = await visibleJob(ctx, caller, ref);
  const job = await withFreshImageUrl(ctx, stored);
  const { outlook, pollAfterMs } = await outlookFor(ctx, job);
  // A pending job whose position moved is a different answer: the ETag says so.
  const etag = job !== stored ? null : outlook?.position ? `${object.etag.slice(0, -1)}.${outlook.position}"` : object.etag;
  // Delivery outcomes live beside the job (their own writer): read only for jobs that have a webhook.
  const webhookDeliveries = opts.deliveries !== false && job.webhook ? await readDeliveries(ctx.store, job.jobId) : undefined;
  return { job, etag, version: object.etag.replace(/"/g, ''), outlook, pollAfterMs, ...(webhookDeliveries ? { webhookDeliveries } : {}) };
}
