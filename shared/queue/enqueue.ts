// Creating a job: the queue marker first, then the document, so no crash leaves a pending job that
// no scan can find (a marker without a document is an orphan the scan removes).
import { createHash } from 'node:crypto';
import { newJobId } from '../ids.js';
import type { JobDocument } from '../job/document.js';
import type { RenderRequest } from '../job/request.js';
import { keys } from '../store/keys.js';
import type { QueueDeps } from './deps.js';
import { ownerScope } from './slots.js';
import { writeJob } from '../job/job-docs.js';
import { markerKeyOf, markerOf, putMarker } from './markers.js';

export interface JobIdentity {
  /** Set when the id was chosen earlier (an idempotent create records it first). */
  jobId?: string;
  ownerId?: string | null;
  idempotencyKey?: string | null;
  /** The API request creating the job: recorded on its `created` history entry. */
  requestId?: string | null;
}

export async function enqueueJob(deps: QueueDeps, request: RenderRequest, identity: JobIdentity = {}): Promise<JobDocument> {
  const doc = newJobDocument(deps, request, deps.now(), identity);
  await storeNewJob(deps, doc);
  deps.log.debug({ jobId: doc.jobId, projectId: doc.projectId }, 'job created');
  return doc;
}

/** Marker, then document (create-only: throws StoreConflictError if the job exists). */
export async function storeNewJob(deps: QueueDeps, doc: JobDocument): Promise<void> {
  // The owner's index entry beside the marker, both before the document: a crash leaves at worst
  // entries whose job never came to be (skipped by listings, and pruned).
  await Promise.all([
    putMarker(deps.store, markerOf(doc), doc.projectId),
    doc.ownerId === null ? null : deps.store.put(keys.ownerJob(ownerScope(doc.ownerId), doc.projectId, doc.jobId), '{}', { contentType: 'application/json' }),
  ]);
  await writeJob(deps.store, doc, { createOnly: true });
}

/**
 * A new pending job for `request`, not yet stored. Deterministic for a given id and time, so two
 * processes finishing the same idempotent create write the same document.
 */
export function newJobDocument(deps: Pick<QueueDeps, 'queue'>, request: RenderRequest, nowMs: number, identity: JobIdentity = {}): JobDocument {
  const now = new Date(nowMs).toISOString();
  const jobId = identity.jobId ?? newJobId(nowMs);
  const ownerId = identity.ownerId ?? null;
  const startWithinMs = Math.min(request.startWithinMs ?? deps.queue.startDeadlineMs, deps.queue.startDeadlineMs);
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
    history: [{ at: now, type: 'created', message: `${request.kind} job created`, attempt: null, workerId: null, requestId: identity.requestId ?? null }],
    result: null,
    webhook: request.webhook ?? null,
    idempotencyKey: identity.idempotencyKey ?? null,
    ownerId,
    marker: markerKeyOf({ jobId, projectId: request.projectId, ownerId }, nowMs, 'p'),
    deadlines: {
      startBy: new Date(nowMs + startWithinMs).toISOString(),
      runMs: Math.min(request.runWithinMs ?? deps.queue.runDeadlineMs, deps.queue.runDeadlineMs),
    },
  };
}

/** The same concept inputs always get the same id. Keys are sorted so property order does not matter. */
export function conceptIdOf(inputs: unknown): string {
  return 'c_' + createHash('sha256').update(canonicalJson(inputs)).digest('hex').slice(0, 20);
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
