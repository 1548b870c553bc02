// GET /api/jobs?projectId=&limit=&cursor= — a project's jobs, newest first, paged.
import { z } from 'zod';
import { ProjectId } from '../../shared/ids.js';
import { listJobs } from '../../shared/use-cases/list-jobs.js';
import { callerOf } from '../_lib/auth.js';
import { parseWith } from '../_lib/input.js';
import { route } from '../_lib/route.js';

const Query = z.object({
  projectId: ProjectId,
  limit: z.coerce.number().int().min(1).max(100).default(20),
  /** Opaque: the `next` of the previous page. */
  cursor: z
    .string()
    .max(1500)
    .regex(/^[A-Za-z0-9_-]+$/)
    .optional(),
});

export default route('/api/jobs', {
  async GET(req, res, ctx) {
    const query = parseWith(Query, req.query, 'query');
    const list = await listJobs(ctx, await callerOf(req, ctx), query);
    res.setHeader('Cache-Control', 'no-store');
    res.status(200).json(list);
  },
});
