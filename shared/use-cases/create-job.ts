// Creating a job: checks that need the store (uploads, the caller's create rate), then an inline
// run, an idempotent create or a plain enqueue, then a poke so a worker starts at once.
import { takeCreateTicket } from '../auth/create-rate.js';
import { type Caller, limitScopeOf, ownerOf } from '../auth/caller.js';
import type { JobDocument } from '../job/document.js';
import type { RenderRequest } from '../job/request.js';
import { kindOf } from '../kinds/index.js';
import { enqueueJob } from '../queue/enqueue.js';
import { createJobOnce, idempotentCreateExists } from '../queue/idempotency.js';
import { runInline } from '../runner/run-inline.js';
import { checkUploads } from './check-uploads.js';
import { checkWebhook } from './check-webhook.js';
import type { AppContext } from './context.js';
import { pokeWorker } from './poke.js';

/** An inline kind gets this share of the function's time budget; the rest is for storing and answering. */
const INLINE_BUDGET_SHARE = 0.5;

export interface Created {
  job: JobDocument;
  /** The job ended inside this request (an inline kind). */
  inline: boolean;
  /** An earlier request with the same idempotency key made this job. */
  replayed: boolean;
}

export async function createJob(ctx: AppContext, caller: Caller, request: RenderRequest, opts: { idempotencyKey: string | null }): Promise<Created> {
  if (request.references) await checkUploads(ctx, caller, request.projectId, request.references);
  if (request.webhook) checkWebhook(ctx, request.webhook.url);
  const ownerId = ownerOf(caller);
  // Limits are per user (or per address on a public API); a trusted server and local use are not
  // limited here. A replay of an idempotent create makes nothing new, so it takes no ticket.
  const scope = limitScopeOf(caller);
  const replay = opts.idempotencyKey !== null && (await idempotentCreateExists(ctx.queue, request.projectId, ownerId, opts.idempotencyKey));
  if (scope !== null && !replay) await takeCreateTicket(ctx.store, scope, ctx.config.createRatePerMinute, ctx.queue.now());
  if (kindOf(request.kind).inline) {
    const budgetMs = ctx.config.functionBudgetMs * INLINE_BUDGET_SHARE;
    return {
      job: await runInline(ctx.queue, request, { budgetMs, signedUrlTtlS: ctx.config.signedUrlTtlS, ownerId, requestId: ctx.requestId }),
      inline: true,
      replayed: false,
    };
  }
  const { job, replayed } = opts.idempotencyKey
    ? await createJobOnce(ctx.queue, request, { ownerId, idempotencyKey: opts.idempotencyKey, requestId: ctx.requestId })
    : { job: await enqueueJob(ctx.queue, request, { ownerId, requestId: ctx.requestId }), replayed: false };
  if (job.status === 'pending') void pokeWorker(ctx, { projectId: job.projectId, jobId: job.jobId });
  return { job, inline: false, replayed };
}
