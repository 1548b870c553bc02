// POST /api/jobs/:jobId/cancel — a pending job is cancelled at once; a running one within a heartbeat.
import { cancelJob } from '../../../shared/use-cases/cancel-job.js';
import { callerOf } from '../../_lib/auth.js';
import { jobRefOf } from '../../_lib/input.js';
import { route } from '../../_lib/route.js';

export default route('/api/jobs/[jobId]/cancel', {
  async POST(req, res, ctx, params) {
    const ref = jobRefOf(req, params);
    const outcome = await cancelJob(ctx, await callerOf(req, ctx), ref);
    res.setHeader('Cache-Control', 'no-store');
    res.status(200).json(outcome);
  },
});
