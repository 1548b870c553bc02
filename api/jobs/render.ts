// POST /api/jobs/render — validate, store, enqueue, poke the worker; answer 202 in milliseconds.
import { RenderRequest } from '../../shared/job/request.js';
import { jobUrls } from '../../shared/job/urls.js';
import { enqueueJob } from '../../shared/queue/enqueue.js';
import { jsonBody, parseWith } from '../_lib/input.js';
import { pokeWorker } from '../_lib/poke.js';
import { route } from '../_lib/route.js';

export default route('/api/jobs/render', {
  async POST(req, res, ctx) {
    const request = parseWith(RenderRequest, jsonBody(req, ctx.config.maxBodyBytes), 'render request');
    const job = await enqueueJob(ctx.queue, request);
    void pokeWorker(ctx, { projectId: job.projectId, jobId: job.jobId });
    const urls = jobUrls(job.projectId, job.jobId);
    res.setHeader('Location', urls.pollUrl);
    res.setHeader('Cache-Control', 'no-store');
    res.status(202).json({
      jobId: job.jobId,
      projectId: job.projectId,
      conceptId: job.conceptId,
      status: job.status,
      pollUrl: urls.pollUrl,
      processUrl: urls.processUrl,
      eventsUrl: urls.eventsUrl,
      cancelUrl: urls.cancelUrl,
      createdAt: job.createdAt,
    });
  },
});
