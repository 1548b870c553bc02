// POST /api/jobs/:jobId/cancel — a pending job is cancelled at once; a running one within a heartbeat.
import { waitUntil } from '@vercel/functions';
import { requestCancel } from '../../../shared/queue/cancel.js';
import { route } from '../../_lib/route.js';
import { visibleJob } from '../../_lib/auth.js';

export default route('/api/jobs/[jobId]/cancel', {
  async POST(req, res, ctx, params) {
    // Only a job the caller may see can be cancelled by them (another user's is a 404).
    const { job: seen } = await visibleJob(req, ctx, params);
    const { job, cancelRequestedAt, cancelledHere } = await requestCancel(ctx.queue, seen);
    // A pending job is cancelled right here: its webhook is ours to send (a running one's, the worker's).
    if (cancelledHere && ctx.queue.webhooks) {
      ctx.queue.webhooks.notify(job, 'cancelled');
      waitUntil(ctx.queue.webhooks.idle());
    }
    res.setHeader('Cache-Control', 'no-store');
    res.status(200).json({ job, cancelRequestedAt });
  },
});
