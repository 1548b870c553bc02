// GET /api/jobs/:jobId?projectId= — the job's status; ETag/304 so unchanged polls cost nothing.
import { readDeliveries } from '../../shared/webhooks/deliveries.js';
import { POLL_AFTER_HEADER } from '../_lib/job-response.js';
import { outlookFor, withFreshImageUrl } from '../_lib/outlook.js';
import { route } from '../_lib/route.js';
import { visibleJob } from '../_lib/auth.js';

export default route('/api/jobs/[jobId]', {
  async GET(req, res, ctx, params) {
    const { object, job: stored } = await visibleJob(req, ctx, params);
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
