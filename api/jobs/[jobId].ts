// GET /api/jobs/:jobId?projectId= — the job's status; ETag/304 so unchanged polls cost nothing.
import { NotFoundError } from '../../shared/errors.js';
import { parseJob } from '../../shared/queue/job-docs.js';
import { keys } from '../../shared/store/keys.js';
import { readDeliveries } from '../../shared/webhooks/deliveries.js';
import { jobRefOf } from '../_lib/input.js';
import { POLL_AFTER_HEADER } from '../_lib/job-response.js';
import { outlookFor, withFreshImageUrl } from '../_lib/outlook.js';
import { route } from '../_lib/route.js';
import { assertCanSee, callerOf } from '../_lib/auth.js';

export default route('/api/jobs/[jobId]', {
  async GET(req, res, ctx, params) {
    const caller = await callerOf(req, ctx);
    const { projectId, jobId } = jobRefOf(req, params);
    const key = keys.job(projectId, jobId);
    // Under another project the key simply does not exist: a 404 that reveals nothing.
    const object = await ctx.store.get(key);
    if (!object) throw new NotFoundError();
    const stored = parseJob(key, object.body);
    assertCanSee(caller, stored);
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
