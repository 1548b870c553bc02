// POST /api/jobs/render — validate, store, enqueue, poke the worker; answer 202 in milliseconds.
// Inline kinds (the preview) are run right here and answered 201 with the finished job.
import { ValidationError } from '../../shared/errors.js';
import { IdempotencyKey, RenderRequest } from '../../shared/job/request.js';
import { jobUrls } from '../../shared/job/urls.js';
import { createJob } from '../../shared/use-cases/create-job.js';
import { callerOf } from '../_lib/auth.js';
import { jsonBody, parseWith } from '../_lib/input.js';
import { route } from '../_lib/route.js';
import type { ApiRequest } from '../_lib/types.js';

export default route('/api/jobs/render', {
  async POST(req, res, ctx) {
    const caller = await callerOf(req, ctx);
    const request = parseWith(RenderRequest, jsonBody(req, ctx.config.maxBodyBytes), 'render request');
    const { job, inline, replayed } = await createJob(ctx, caller, request, { idempotencyKey: idempotencyKeyOf(req, request) });
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
