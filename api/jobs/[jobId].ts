// GET /api/jobs/:jobId?projectId= — the job's status; ETag/304 so unchanged polls cost nothing.
import { NotFoundError } from '../../shared/errors.js';
import type { JobDocument } from '../../shared/job/document.js';
import { imageLink } from '../../shared/job/image-url.js';
import { parseJob } from '../../shared/queue/job-docs.js';
import { keys } from '../../shared/store/keys.js';
import { readDeliveries } from '../../shared/webhooks/deliveries.js';
import type { AppContext } from '../_lib/context.js';
import { jobRefOf } from '../_lib/input.js';
import { POLL_AFTER_HEADER } from '../_lib/job-response.js';
import { outlookFor } from '../_lib/outlook.js';
import { route } from '../_lib/route.js';

/** A signed image URL this close to expiry is replaced in the answer by a fresh one. */
const RESIGN_WITHIN_MS = 10 * 60 * 1000;

export default route('/api/jobs/[jobId]', {
  async GET(req, res, ctx, params) {
    const { projectId, jobId } = jobRefOf(req, params);
    const key = keys.job(projectId, jobId);
    // Under another project the key simply does not exist: a 404 that reveals nothing.
    const object = await ctx.store.get(key);
    if (!object) throw new NotFoundError();
    const stored = parseJob(key, object.body);
    const job = await withFreshImageUrl(ctx, stored);
    const { outlook, pollAfterMs: after } = await outlookFor(ctx, job);
    res.setHeader('Cache-Control', 'no-cache');
    if (after !== null) res.setHeader(POLL_AFTER_HEADER, String(after));
    // The answer is the document plus where it stands in the queue: the ETag covers both, so a
    // pending job whose position moved is not answered 304.
    if (job === stored) {
      const etag = outlook?.position ? `${object.etag.slice(0, -1)}.${outlook.position}"` : object.etag;
      res.setHeader('ETag', etag);
      if (req.headers['if-none-match'] === etag) {
        res.status(304).end();
        return;
      }
    }
    // Delivery outcomes live beside the job (their own writer): read only for jobs that have a webhook.
    const webhookDeliveries = job.webhook ? await readDeliveries(ctx.store, job.jobId) : undefined;
    res.status(200).json({ job, pollAfterMs: after, queue: outlook, ...(webhookDeliveries ? { webhookDeliveries } : {}) });
  },
});

/** Old jobs outlive their signed URL: answer with a new one (the document is not rewritten). */
async function withFreshImageUrl(ctx: AppContext, job: JobDocument): Promise<JobDocument> {
  if (!job.result || !job.imageUrlExpiresAt || Date.parse(job.imageUrlExpiresAt) - Date.now() > RESIGN_WITHIN_MS) return job;
  const link = await imageLink(ctx.store, job, job.result.key, { ttlS: ctx.config.signedUrlTtlS });
  return { ...job, imageUrl: link.url, imageUrlExpiresAt: link.expiresAt };
}
