// Creating a job: the queue marker first, then the document, so no crash leaves a pending job that
// no scan can find (a marker without a document is an orphan the scan removes).
import { createHash } from 'node:crypto';
import { newJobId } from '../ids.js';
import type { JobDocument } from '../job/document.js';
import type { RenderRequest } from '../job/request.js';
import type { QueueDeps } from './deps.js';
import { writeJob } from './job-docs.js';
import { putMarker } from './markers.js';

export async function enqueueJob(deps: QueueDeps, request: RenderRequest): Promise<JobDocument> {
  const nowMs = deps.now();
  const doc = newJobDocument(deps, request, nowMs);
  await putMarker(deps.store, nowMs, doc);
  await writeJob(deps.store, doc, { createOnly: true });
  deps.log.debug({ jobId: doc.jobId, projectId: doc.projectId }, 'job created');
  return doc;
}

/** A new pending job for `request`, not yet stored. */
export function newJobDocument(deps: Pick<QueueDeps, 'queue'>, request: RenderRequest, nowMs: number): JobDocument {
  const now = new Date(nowMs).toISOString();
  const jobId = newJobId(nowMs);
  return {
    schemaVersion: 1,
    jobId,
    projectId: request.projectId,
    conceptId: request.conceptId ?? conceptIdOf(request.conceptInputs),
    renderType: request.renderType,
    kind: request.kind,
    references: request.references ?? [],
    status: 'pending',
    progress: 0,
    stage: 'queued',
    message: 'Waiting for a worker.',
    imageUrl: null,
    imageUrlExpiresAt: null,
    previewUrl: null,
    previewKey: null,
    error: null,
    errorCode: null,
    conceptInputs: request.conceptInputs,
    createdAt: now,
    updatedAt: now,
    runAfter: now,
    startedAt: null,
    completedAt: null,
    attempt: 0,
    maxAttempts: request.maxAttempts ?? deps.queue.maxAttempts,
    leaseExpiresAt: null,
    workerId: null,
    attempts: [],
    history: [{ at: now, type: 'created', message: `${request.kind} job created`, attempt: null, workerId: null }],
    result: null,
    webhook: request.webhook ?? null,
    idempotencyKey: null,
    ownerId: null,
  };
}

/** The same concept inputs always get the same id. Keys are sorted so property order does not matter. */
export function conceptIdOf(inputs: unknown): string {
  return 'c_' + createHash('sha256').update(canonicalJson(inputs)).digest('hex').slice(0, 20);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
