// POST /api/jobs/:jobId/process — hand the job to the worker, or run it inline when none is set.
import { UnauthorizedError } from '../../../shared/errors.js';
import { bearerMatches } from '../../../shared/secrets.js';
import { processJob } from '../../../shared/use-cases/process-job.js';
import { jobRefOf } from '../../_lib/input.js';
import { route } from '../../_lib/route.js';

export default route('/api/jobs/[jobId]/process', {
  async POST(req, res, ctx, params) {
    const secret = ctx.config.workerSecret;
    if (secret && !bearerMatches(req.headers.authorization, secret)) throw new UnauthorizedError();
    res.status(202).json(await processJob(ctx, jobRefOf(req, params)));
  },
});
