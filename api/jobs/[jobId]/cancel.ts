// POST /api/jobs/:jobId/cancel — a pending job is cancelled at once; a running one within a heartbeat.
import { z } from 'zod';
import { JobId, ProjectId } from '../../../shared/ids.js';
import { requestCancel } from '../../../shared/queue/cancel.js';
import { parseWith } from '../../_lib/input.js';
import { route } from '../../_lib/route.js';

const Query = z.object({ projectId: ProjectId });

export default route('/api/jobs/[jobId]/cancel', {
  async POST(req, res, ctx, params) {
    const jobId = parseWith(JobId, params.jobId, 'job id');
    const { projectId } = parseWith(Query, req.query, 'query');
    const { job, cancelRequestedAt } = await requestCancel(ctx.queue, { projectId, jobId });
    res.setHeader('Cache-Control', 'no-store');
    res.status(200).json({ job, cancelRequestedAt });
  },
});
