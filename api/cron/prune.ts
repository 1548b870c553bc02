// GET /api/cron/prune — Vercel Cron (daily on Hobby) deletes expired jobs, inside the function's
// time budget; what is left over is pruned by the next run or by the worker's own timer. Vercel
// sends `Authorization: Bearer $CRON_SECRET`.
import { pruneExpired } from '../../shared/queue/prune.js';
import { assertRouteSecret } from '../_lib/route-secret.js';
import { route } from '../_lib/route.js';

/** Time kept back from the budget for answering. */
const MARGIN_MS = 1_500;

export default route('/api/cron/prune', {
  async GET(req, res, ctx) {
    assertRouteSecret(req, ctx.config, ctx.config.cronSecret, 'CRON_SECRET');
    const started = ctx.queue.now();
    const report = await pruneExpired(ctx.queue, {
      retentionMs: ctx.config.retentionMs,
      deadlineMs: started + Math.max(1_000, ctx.config.functionBudgetMs - MARGIN_MS),
    });
    res.setHeader('Cache-Control', 'no-store');
    res.status(200).json({ ...report, retentionDays: ctx.config.retentionMs / 86_400_000, tookMs: ctx.queue.now() - started });
  },
});
