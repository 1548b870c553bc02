// POST /api/jobs/:jobId/cancel — a pending job is cancelled at once; a running one within a heartbeat.
import { waitUntil } from '@vercel/functions';
import { requestCancel } from '../../../shared/queue/cancel.js';
import { jobRefOf } from '../../_lib/input.js';
import { route } from '../../_lib/route.js';
import { assertCanSee, callerOf } from '../../_lib/auth.js';
import { NotFoundError } from '../../../shared/errors.js';
import { readJob } from '../../../shared/queue/job-docs.js';

export default route('/api/jobs/[jobId]/cancel', {
  async POST(req, res, ctx, params) {
    const caller = await callerOf(req, ctx);
    const { projectId, jobId } = jobRefOf(req, params);
    if (caller.kind === 'user') {
      const current = await readJob(ctx.store, projectId, jobId);
      if (!current) throw new NotFoundError();
      assertCanSee(caller, current);
    }
    const { job, cancelRequestedAt, cancelledHere } = await requestCancel(ctx.queue, { projectId, jobId });
    // A pending job is cancelled right here: its webhook is ours to send (a running one's, the worker's).
    if (cancelledHere && ctx.queue.webhooks) {
      ctx.queue.webhooks.notify(job, 'cancelled');
      waitUntil(ctx.queue.webhooks.idle());
    }
    res.setHeader('Cache-Control', 'no-store');
    res.status(200).json({ job, cancelRequestedAt });
  },
});
