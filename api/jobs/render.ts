// POST /api/jobs/render — validate, store, enqueue, poke the worker; answer 202 in milliseconds.
// Inline kinds (the preview) are run right here and answered 201 with the finished job.
import { waitUntil } from '@vercel/functions';
import { RenderRequest } from '../../shared/job/request.js';
import { jobUrls } from '../../shared/job/urls.js';
import { kindOf } from '../../shared/kinds/index.js';
import { enqueueJob } from '../../shared/queue/enqueue.js';
import { runInline } from '../../shared/runner/run-inline.js';
import { jsonBody, parseWith } from '../_lib/input.js';
import { pokeWorker } from '../_lib/poke.js';
import { route } from '../_lib/route.js';
import { checkUploads } from '../_lib/uploads.js';
import { checkWebhook } from '../_lib/webhooks.js';
import { callerOf, ownerOf } from '../_lib/auth.js';
import { limitScopeOf } from '../_lib/caller-scope.js';
import { takeCreateTicket } from '../../shared/auth/create-rate.js';
import { createJobOnce, idempotentCreateExists } from '../../shared/queue/idempotency.js';
import { IdempotencyKey } from '../../shared/job/request.js';
import { ValidationError } from '../../shared/errors.js';
import type { ApiRequest } from '../_lib/types.js';

/** An inline kind gets this share of the function's time budget; the rest is for storing and answering. */
const INLINE_BUDGET_SHARE = 0.5;

export default route('/api/jobs/render', {
  async POST(req, res, ctx) {
    const caller = await callerOf(req, ctx);
    const request = parseWith(RenderRequest, jsonBody(req, ctx.config.maxBodyBytes), 'render request');
    const idempotencyKey = idempotencyKeyOf(req, request);
    if (request.references) await checkUploads(ctx, caller, request.projectId, request.references);
    if (request.webhook) checkWebhook(ctx, request.webhook.url);
    const ownerId = ownerOf(caller);
    // Limits are per user (or per address on a public API); a trusted server and local use are not
    // limited here. A replay of an idempotent create makes nothing new, so it takes no ticket.
    const scope = limitScopeOf(caller);
    const replay = idempotencyKey !== null && (await idempotentCreateExists(ctx.queue, request.projectId, ownerId, idempotencyKey));
    if (scope !== null && !replay) await takeCreateTicket(ctx.store, scope, ctx.config.createRatePerMinute, ctx.queue.now());
    const inline = kindOf(request.kind).inline;
    let replayed = false;
    let job;
    if (inline) {
      job = await runInline(ctx.queue, request, { budgetMs: ctx.config.functionBudgetMs * INLINE_BUDGET_SHARE, signedUrlTtlS: ctx.config.signedUrlTtlS, ownerId });
    } else if (idempotencyKey) {
      ({ job, replayed } = await createJobOnce(ctx.queue, request, { ownerId, idempotencyKey }));
    } else {
      job = await enqueueJob(ctx.queue, request, { ownerId });
    }
    if (!inline && job.status === 'pending') void pokeWorker(ctx, { projectId: job.projectId, jobId: job.jobId });
    else if (inline && ctx.queue.webhooks && (job.status === 'completed' || job.status === 'failed')) {
      // An inline job ends here, so its outcome's webhook is sent from here.
      ctx.queue.webhooks.notify(job, job.status);
      waitUntil(ctx.queue.webhooks.idle());
    }
    const urls = jobUrls(job.projectId, job.jobId);
    res.setHeader('Location', urls.pollUrl);
    res.setHeader('Cache-Control', 'no-store');
    if (replayed) res.setHeader('Idempotent-Replayed', 'true');
    res.status(inline ? 201 : replayed ? 200 : 202).json({
      jobId: job.jobId,
      projectId: job.projectId,
      conceptId: job.conceptId,
      kind: job.kind,
      status: job.status,
      pollUrl: urls.pollUrl,
      processUrl: urls.processUrl,
      eventsUrl: urls.eventsUrl,
      cancelUrl: urls.cancelUrl,
      createdAt: job.createdAt,
      ...(inline ? { imageUrl: job.imageUrl, job } : {}),
    });
  },
});

/** `Idempotency-Key` header or `idempotencyKey` field; both may be sent only if they agree. */
function idempotencyKeyOf(req: ApiRequest, request: RenderRequest): string | null {
  const header = req.headers['idempotency-key'];
  const fromHeader = header === undefined ? undefined : parseWith(IdempotencyKey, header, 'Idempotency-Key header');
  if (fromHeader && request.idempotencyKey && fromHeader !== request.idempotencyKey) {
    throw new ValidationError('The Idempotency-Key header and the idempotencyKey field differ; send one.');
  }
  return fromHeader ?? request.idempotencyKey ?? null;
}
