// Kinds fast enough to answer inside the create request (the preview): run at once, inside a slice
// of the function's time budget, and stored as a finished job in one create-only write. The job is
// never pending, so no marker, lease or worker is involved and no other writer can exist.
import { errorCodeOf } from '../errors.js';
import type { JobDocument } from '../job/document.js';
import type { RenderRequest } from '../job/request.js';
import { kindOf } from '../kinds/index.js';
import type { QueueDeps } from '../queue/deps.js';
import { jobEnded } from '../queue/ended.js';
import { newJobDocument } from '../queue/enqueue.js';
import { completedDoc, failedDoc } from '../queue/finish.js';
import { writeJob } from '../job/job-docs.js';
import { keys } from '../store/keys.js';
import { ownerScope } from '../queue/slots.js';
import { storeResult } from './store-result.js';

export async function runInline(
  deps: QueueDeps,
  request: RenderRequest,
  opts: { budgetMs: number; signedUrlTtlS: number; ownerId?: string | null; requestId?: string | null },
): Promise<JobDocument> {
  const createdMs = deps.now();
  const pending = newJobDocument(deps, request, createdMs, { ownerId: opts.ownerId ?? null, requestId: opts.requestId ?? null });
  const kind = kindOf(pending.kind);
  const workerId = `inline-${process.pid}`;
  const startedAt = new Date(deps.now()).toISOString();
  // Shaped like a claimed first attempt, so the ending is built exactly as a worker's would be.
  const running: JobDocument = {
    ...pending,
    status: 'processing',
    startedAt,
    attempt: 1,
    workerId,
    attempts: [{ attempt: 1, workerId, startedAt, endedAt: null, outcome: 'running', error: null }],
  };
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
    const now = new Date(deps.now()).toISOString();
    doc = { ...completedDoc(running, { attempt: 1, workerId, now }, result, link), updatedAt: now };
  } catch (err) {
    const now = new Date(deps.now()).toISOString();
    const message = (err as Error)?.message?.slice(0, 1000) || 'The job failed.';
    doc = { ...failedDoc(running, { attempt: 1, workerId, now }, errorCodeOf(err) ?? 'render_failed', message), updatedAt: now };
  }
  if (doc.ownerId !== null) await deps.store.put(keys.ownerJob(ownerScope(doc.ownerId), doc.projectId, doc.jobId), '{}', { contentType: 'application/json' });
  await writeJob(deps.store, doc, { createOnly: true });
  deps.log.info({ jobId: doc.jobId, kind: kind.name, status: doc.status }, 'inline job finished');
  await jobEnded(deps, doc, { announce: true, queued: false });
  return doc;
}
