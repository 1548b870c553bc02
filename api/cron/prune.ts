// GET /api/cron/prune — Vercel Cron (daily on Hobby) deletes expired jobs, inside the function's
// time budget; what is left over is pruned by the next run or by the worker's own timer. Vercel
// sends `Authorization: Bearer $CRON_SECRET`.
import { UnauthorizedError } from '../../shared/errors.js';
import { pruneExpired } from '../../shared/queue/prune.js';
import { bearerMatches } from '../../shared/secrets.js';
import { route } from '../_lib/route.js';

/** Time kept back from the budget for answering. */
const MARGIN_MS = 1_500;

export default route('/api/cron/prune', {
  async GET(req, res, ctx) {
    const secret = ctx.config.cronSecret;
    // Production refuses to start without CRON_SECRET; locally the route is open.
    if (secret && !bearerMatches(req.headers.authorization, secret)) throw new UnauthorizedError();
    const started = ctx.queue.now();
    const report = await pruneExpired(ctx.queue, {
      retentionMs: ctx.config.retentionMs,
      deadlineMs: started + Math.max(1_000, ctx.config.functionBudgetMs - MARGIN_MS),
    });
    res.setHeader('Cache-Control', 'no-store');
    res.status(200).json({ ...report, retentionDays: ctx.config.retentionMs / 86_400_000, tookMs: ctx.queue.now() - started });
  },
});
