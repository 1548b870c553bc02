// POST /api/jobs/:jobId/process — hand the job to the worker, or run it inline when none is set.
import { processJob } from '../../../shared/use-cases/process-job.js';
import { assertRouteSecret } from '../../_lib/route-secret.js';
import { jobRefOf } from '../../_lib/input.js';
import { route } from '../../_lib/route.js';

export default route('/api/jobs/[jobId]/process', {
  async POST(req, res, ctx, params) {
    assertRouteSecret(req, ctx.config, ctx.config.workerSecret, 'WORKER_SECRET');
    res.status(202).json(await processJob(ctx, jobRefOf(req, params)));
  },
});
