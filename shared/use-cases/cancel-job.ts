// Cancelling a job the caller may see: a pending one ends at once, a running one within a heartbeat.
import type { Caller } from '../auth/caller.js';
import { type CancelOutcome, requestCancel } from '../queue/cancel.js';
import type { AppContext } from './context.js';
import { type JobRef, visibleJob } from './visible-job.js';

export async function cancelJob(ctx: AppContext, caller: Caller, ref: JobRef): Promise<Omit<CancelOutcome, 'cancelledHere'>> {
  // Only a job the caller may see can be cancelled by them (another user's is a 404).
  const { job: seen } = await visibleJob(ctx, caller, ref);
  const { job, cancelRequestedAt } = await requestCancel(ctx.queue, seen, { requestId: ctx.requestId });
  return { job, cancelRequestedAt };
}
