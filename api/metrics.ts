// GET /api/metrics — queue depth, running jobs, outcomes and p50/p95 wait and render times over the
// last 5 minutes and hour, merged from every live worker's report (what ETAs are computed from).
import { readMetrics } from '../shared/metrics/read.js';
import { route } from './_lib/route.js';
import { callerOf } from './_lib/auth.js';

export default route('/api/metrics', {
  async GET(req, res, ctx) {
    await callerOf(req, ctx);
    res.setHeader('Cache-Control', 'no-store');
    res.status(200).json(await readMetrics(ctx.store, ctx.queue.now()));
  },
});
