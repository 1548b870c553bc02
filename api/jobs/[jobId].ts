// GET /api/jobs/:jobId?projectId= — the job's status; ETag/304 so unchanged polls cost nothing.
import { NotFoundError } from '../../shared/errors.js';
import { parseJob } from '../../shared/queue/job-docs.js';
import { keys } from '../../shared/store/keys.js';
import { jobRefOf } from '../_lib/input.js';
import { POLL_AFTER_HEADER, pollAfterMs } from '../_lib/job-response.js';
import { route } from '../_lib/route.js';

export default route('/api/jobs/[jobId]', {
  async GET(req, res, ctx, params) {
    const { projectId, jobId } = jobRefOf(req, params);
    const key = keys.job(projectId, jobId);
    // Under another project the key simply does not exist: a 404 that reveals nothing.
    const object = await ctx.store.get(key);
    if (!object) throw new NotFoundError();
    const job = parseJob(key, object.body);
    const after = pollAfterMs(job);
    res.setHeader('ETag', object.etag);
    res.setHeader('Cache-Control', 'no-cache');
    if (after !== null) res.setHeader(POLL_AFTER_HEADER, String(after));
    if (req.headers['if-none-match'] === object.etag) {
      res.status(304).end();
      return;
    }
    res.status(200).json({ job, pollAfterMs: after });
  },
});
