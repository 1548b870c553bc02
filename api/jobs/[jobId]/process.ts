// POST /api/jobs/:jobId/process — hand the job to the worker, or run it inline when none is set.
// Clients call this fire-and-forget right after create, so a job already claimed or finished is a
// harmless 202.
import { waitUntil } from '@vercel/functions';
import { NotFoundError } from '../../../shared/errors.js';
import { claimJob } from '../../../shared/queue/claim.js';
import { readJob } from '../../../shared/queue/job-docs.js';
import { runJob } from '../../../shared/runner/run-job.js';
import { assertRouteSecret } from '../../_lib/route-secret.js';
import { jobRefOf } from '../../_lib/input.js';
import { pokeWorker } from '../../_lib/poke.js';
import { route } from '../../_lib/route.js';
import { loadChargeHook } from '../../../shared/queue/charge-hook.js';

export default route('/api/jobs/[jobId]/process', {
  async POST(req, res, ctx, params) {
    assertRouteSecret(req, ctx.config, ctx.config.workerSecret, 'WORKER_SECRET');
    const ref = jobRefOf(req, params);
    const { projectId, jobId } = ref;

    if (ctx.config.workerUrl) {
      const job = await readJob(ctx.store, projectId, jobId);
      if (!job) throw new NotFoundError();
      void pokeWorker(ctx, ref);
      res.status(202).json({ jobId, status: job.status, handledBy: 'worker' });
      return;
    }
    const workerId = `inline-${process.pid}`;
    // Inline, this function completes jobs, so it charges them too (the hook is loaded only here).
    const deps = { ...ctx.queue, log: ctx.log.child({ workerId }), charge: await loadChargeHook(ctx.config.chargeHookModule) };
    const outcome = await claimJob(deps, ref, { workerId });
    if (outcome.kind === 'missing') throw new NotFoundError();
    if (outcome.kind === 'run') {
      // Loaded here, not at start-up: the renderer (and its native rasterizer) only matters inline.
      const { selectProvider } = await import('../../../shared/providers/select.js');
      const provider = selectProvider(ctx.config);
      // Answer now; the render goes on for as long as the function may run (its maxDuration).
      // Webhooks the run queues are part of the work the platform must wait for.
      const run = runJob(outcome.holder, { provider, signedUrlTtlS: ctx.config.signedUrlTtlS }).catch((err) => ctx.log.error({ err, jobId }, 'inline run failed'));
      waitUntil(run.then(() => ctx.queue.webhooks?.idle()));
      res.status(202).json({ jobId, status: 'processing', handledBy: 'inline' });
      return;
    }
    const status = 'doc' in outcome ? outcome.doc.status : outcome.kind === 'not_due' ? 'pending' : 'processing';
    res.status(202).json({ jobId, status, handledBy: 'inline' });
  },
});
