// GET /api/jobs/:jobId/image?projectId= — the rendered image of a completed job.
import { AppError, NotFoundError } from '../../../shared/errors.js';
import { readJob } from '../../../shared/queue/job-docs.js';
import { jobRefOf } from '../../_lib/input.js';
import { route } from '../../_lib/route.js';

export default route('/api/jobs/[jobId]/image', {
  async GET(req, res, ctx, params) {
    const { projectId, jobId } = jobRefOf(req, params);
    const job = await readJob(ctx.store, projectId, jobId);
    if (!job) throw new NotFoundError();
    if (job.status !== 'completed' || !job.result) {
      throw new AppError('not_ready', `The job is ${job.status}; its image exists once it is completed.`, { status: 409 });
    }
    const image = await ctx.store.get(job.result.key);
    if (!image) throw new NotFoundError('image');
    res.setHeader('Content-Type', job.result.contentType);
    res.setHeader('ETag', image.etag);
    // A completed job's image never changes.
    res.setHeader('Cache-Control', 'private, max-age=31536000, immutable');
    if (req.headers['if-none-match'] === image.etag) {
      res.status(304).end();
      return;
    }
    res.status(200).send(image.body);
  },
});
