// GET /api/jobs?projectId=&limit=&cursor= — a project's jobs, newest first, paged.
import { z } from 'zod';
import { CorruptDocumentError } from '../../shared/errors.js';
import { ProjectId } from '../../shared/ids.js';
import { readJob } from '../../shared/queue/job-docs.js';
import { idOfSegment, keys } from '../../shared/store/keys.js';
import { parseWith } from '../_lib/input.js';
import { route } from '../_lib/route.js';
import { callerOf, canSee } from '../_lib/auth.js';

const Query = z.object({
  projectId: ProjectId,
  limit: z.coerce.number().int().min(1).max(100).default(20),
  // The store's cursor is the name of the last job listed.
  cursor: z.string().max(80).regex(/^[A-Za-z0-9][A-Za-z0-9_-]*\.json$/).optional(),
});

export default route('/api/jobs', {
  async GET(req, res, ctx) {
    const caller = await callerOf(req, ctx);
    const { projectId, limit, cursor } = parseWith(Query, req.query, 'query');
    // Job ids begin with inverted creation time, so name order is newest first.
    const page = await ctx.store.list(keys.jobsOf(projectId), { limit, cursor: cursor ?? null });
    const unreadable: string[] = [];
    const jobs = await Promise.all(
      page.items.map(async (item) => {
        const jobId = idOfSegment(item.name.slice(0, -'.json'.length));
        if (jobId === null) return null;
        try {
          return await readJob(ctx.store, projectId, jobId);
        } catch (err) {
          // One damaged document must not hide the rest: it is named, and logged, never shown as valid.
          if (!(err instanceof CorruptDocumentError)) throw err;
          ctx.log.error({ err, jobId }, 'unreadable job document');
          unreadable.push(jobId);
          return null;
        }
      }),
    );
    res.setHeader('Cache-Control', 'no-store');
    // A user sees their own jobs only: a page may hold fewer than `limit`; `next` goes on from it.
    res.status(200).json({ jobs: jobs.filter((j) => j !== null && canSee(caller, j)), next: page.cursor, ...(unreadable.length ? { unreadable } : {}) });
  },
});
