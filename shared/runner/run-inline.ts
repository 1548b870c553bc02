// Kinds fast enough to answer inside the create request (the preview): run at once, inside a slice
// of the function's time budget, and stored as a finished job in one create-only write. The job is
// never pending, so no marker, lease or worker is involved and no other writer can exist.
import { errorCodeOf } from '../errors.js';
import type { JobDocument } from '../job/document.js';
import { appendHistory } from '../job/history.js';
import type { RenderRequest } from '../job/request.js';
import { kindOf } from '../kinds/index.js';
import type { QueueDeps } from '../queue/deps.js';
import { newJobDocument } from '../queue/enqueue.js';
import { writeJob } from '../queue/job-docs.js';
import { storeResult } from './store-result.js';

export async function runInline(deps: QueueDeps, request: RenderRequest, opts: { budgetMs: number; signedUrlTtlS: number; ownerId?: string | null }): Promise<JobDocument> {
  const createdMs = deps.now();
  const pending = newJobDocument(deps, request, createdMs, { ownerId: opts.ownerId ?? null });
  const kind = kindOf(pending.kind);
  const workerId = `inline-${process.pid}`;
  const startedAt = new Date(deps.now()).toISOString();
  const attempt = { attempt: 1, workerId, startedAt, endedAt: null, outcome: 'running' as const, error: null };
  let doc: JobDocument;
  try {
    const out = await kind.run(
      pending,
      { store: deps.store, provider: () => Promise.reject(new Error(`kind ${kind.name} runs without a provider`)) },
      { signal: AbortSignal.timeout(opts.budgetMs), onProgress: () => undefined },
    );
    const endMs = deps.now();
    const timings = { queuedMs: 0, renderMs: endMs - Date.parse(startedAt), totalMs: endMs - createdMs };
    const { result, link } = await storeResult(deps.store, pending, out, { timings, ttlS: opts.signedUrlTtlS });
    const endedAt = new Date(deps.now()).toISOString();
    doc = {
      ...pending,
      status: 'completed',
      progress: 100,
      stage: 'completed',
      message: 'Done.',
      startedAt,
      completedAt: endedAt,
      updatedAt: endedAt,
      attempt: 1,
      workerId,
      attempts: [{ ...attempt, endedAt, outcome: 'completed' }],
      history: appendHistory(pending.history, { at: endedAt, type: 'completed', message: 'Rendered inline.', attempt: 1, workerId }),
      imageUrl: link.url,
      imageUrlExpiresAt: link.expiresAt,
      result,
    };
  } catch (err) {
    const endedAt = new Date(deps.now()).toISOString();
    const message = (err as Error)?.message?.slice(0, 1000) || 'The job failed.';
    doc = {
      ...pending,
      status: 'failed',
      stage: 'failed',
      message,
      error: message,
      errorCode: errorCodeOf(err) ?? 'render_failed',
      startedAt,
      completedAt: endedAt,
      updatedAt: endedAt,
      attempt: 1,
      workerId,
      attempts: [{ ...attempt, endedAt, outcome: 'failed', error: message }],
      history: appendHistory(pending.history, { at: endedAt, type: 'failed', message, attempt: 1, workerId }),
    };
  }
  await writeJob(deps.store, doc, { createOnly: true });
  deps.log.info({ jobId: doc.jobId, kind: kind.name, status: doc.status }, 'inline job finished');
  return doc;
}
