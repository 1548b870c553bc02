// Handing a job to the worker (a poke), or, with no worker (`WORKER_URL=none`), running it right
// here for as long as the function may run. Clients call this fire-and-forget after create, so a
// job already claimed or finished is a harmless answer.
import { waitUntil } from '@vercel/functions';
import { NotFoundError } from '../errors.js';
import type { JobStatus } from '../job/status.js';
import { readJob } from '../job/job-docs.js';
import { loadChargeHook } from '../queue/charge-hook.js';
import { claimJob } from '../queue/claim.js';
import { runJob } from '../runner/run-job.js';
import type { AppContext } from './context.js';
import { pokeWorker } from './poke.js';
import type { JobRef } from './visible-job.js';

export interface Processing {
  jobId: string;
  status: JobStatus;
  handledBy: 'worker' | 'inline';
}

export async function processJob(ctx: AppContext, ref: JobRef): Promise<Processing> {
  const { jobId } = ref;
  if (ctx.config.workerUrl) {
    const job = await readJob(ctx.store, ref.projectId, jobId);
    if (!job) throw new NotFoundError();
    void pokeWorker(ctx, ref);
    return { jobId, status: job.status, handledBy: 'worker' };
  }
  const workerId = `inline-${process.pid}`;
  // Inline, this function completes jobs, so it charges them too (the hook is loaded only here).
  const deps = { ...ctx.queue, log: ctx.log.child({ workerId }), charge: await loadChargeHook(ctx.config.chargeHookModule) };
  const outcome = await claimJob(deps, ref, { workerId, startBeforeWritten: true });
  if (outcome.kind === 'missing') throw new NotFoundError();
  if (outcome.kind === 'run') {
    // Loaded here, not at start-up: the renderer (and its native rasterizer) only matters inline.
    const { selectProvider } = await import('../providers/select.js');
    const provider = selectProvider(ctx.config);
    // The answer goes now; the render goes on for as long as the function may run (its maxDuration).
    const run = runJob(outcome.holder, { provider, signedUrlTtlS: ctx.config.signedUrlTtlS }).catch((err) =>
      ctx.log.error({ err, jobId }, 'inline run failed'),
    );
    waitUntil(run.then(() => ctx.queue.webhooks?.idle()));
    return { jobId, status: 'processing', handledBy: 'inline' };
  }
  const status = 'doc' in outcome ? outcome.doc.status : outcome.kind === 'not_due' ? 'pending' : 'processing';
  return { jobId, status, handledBy: 'inline' };
}
