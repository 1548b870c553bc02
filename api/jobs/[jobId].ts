// GET /api/jobs/:jobId?projectId= — the job's status; ETag/304 so unchanged polls cost nothing.
import { viewJob } from '../../shared/use-cases/view-job.js';
import { callerOf } from '../_lib/auth.js';
import { jobRefOf } from '../_lib/input.js';
import { POLL_AFTER_HEADER } from '../_lib/job-response.js';
import { route } from '../_lib/route.js';

export default route('/api/jobs/[jobId]', {
  async GET(req, res, ctx, params) {
    const ref = jobRefOf(req, params);
    const view = await viewJob(ctx, await callerOf(req, ctx), ref);
    res.setHeader('Cache-Control', 'no-cache');
    if (view.pollAfterMs !== null) res.setHeader(POLL_AFTER_HEADER, String(view.pollAfterMs));
    if (view.etag) {
      res.setHeader('ETag', view.etag);
      if (req.headers['if-none-match'] === view.etag) {
        res.status(304).end();
        return;
      }
    }
    const { job, pollAfterMs, outlook, webhookDeliveries } = view;
    res.status(200).json({ job, pollAfterMs, queue: outlook, ...(webhookDeliveries ? { webhookDeliveries } : {}) });
  },
});
