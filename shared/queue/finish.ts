// How a held job leaves `processing`: completed, failed, retried, cancelled or handed back.
// Each writes the document first and tidies markers after, so a crash in between leaves at worst a
// stale marker, which the next scan removes.
import { AppError, isRetryable, RenderError } from '../errors.js';
import type { AttemptRecord, JobDocument, JobResult } from '../job/document.js';
import { appendHistory } from '../job/history.js';
import type { ImageLink } from '../job/image-url.js';
import { MINUTE } from '../time.js';
import { retryDelayMs } from './backoff.js';
import { jobEnded } from './ended.js';
import type { JobHolder } from './holder.js';
import { dropMarker, markerKeyOf, markerOf, putMarker } from './markers.js';
import { releaseSlots } from './slots.js';

type Outcome = AttemptRecord['outcome'];

function closeAttempt(doc: JobDocument, attempt: number, outcome: Outcome, nowIso: string, error: string | null) {
  return doc.attempts.map((a) => (a.attempt === attempt && a.outcome === 'running' ? { ...a, outcome, endedAt: nowIso, error } : a));
}

/** Attempts that count against `maxAttempts`: a hand-back at shutdown is not the job's fault. */
export function countedAttempts(doc: JobDocument): number {
  return doc.attempts.filter((a) => a.outcome !== 'handed_back').length;
}

/** Who ended an attempt, and when: the fields every ending document records. */
export interface EndedBy {
  attempt: number;
  workerId: string;
  now: string;
}

/** The completed document (worker and inline runs alike). */
export function completedDoc(d: JobDocument, by: EndedBy, result: JobResult, image: ImageLink): JobDocument {
  return {
    ...d,
    status: 'completed',
    progress: 100,
    stage: 'done',
    message: 'Render complete.',
    imageUrl: image.url,
    imageUrlExpiresAt: image.expiresAt,
    result,
    completedAt: by.now,
    workerId: by.workerId,
    attempts: closeAttempt(d, by.attempt, 'completed', by.now, null),
    history: appendHistory(d.history, { at: by.now, type: 'completed', attempt: by.attempt, workerId: by.workerId }),
  };
}

/** The failed document (worker and inline runs alike). */
export function failedDoc(d: JobDocument, by: EndedBy, code: string, message: string): JobDocument {
  return {
    ...d,
    status: 'failed',
    stage: 'failed',
    message,
    error: message,
    errorCode: code,
    completedAt: by.now,
    attempts: closeAttempt(d, by.attempt, 'failed', by.now, message),
    history: appendHistory(d.history, { at: by.now, type: 'failed', message, attempt: by.attempt, workerId: by.workerId }),
  };
}

/**
 * The ending is written: its slots are freed beside the charge, one of them by the request that
 * drops the job's marker after it (a move of the marker to the slot's free entry).
 */
async function ended(holder: JobHolder, doc: JobDocument): Promise<void> {
  const [freeing, ...rest] = holder.takeSlotHolds();
  await Promise.all([releaseSlots(holder.deps, rest), jobEnded(holder.deps, doc, { announce: true, freeing })]);
}

function endedBy(holder: JobHolder, now: string): EndedBy {
  return { attempt: holder.lease.attempt, workerId: holder.lease.workerId, now };
}

/** `preview`: a partial image stored since the last progress write, shown with the result. */
export async function complete(
  holder: JobHolder,
  result: JobResult,
  image: ImageLink,
  preview: { previewKey: string; previewUrl: string } | null = null,
): Promise<JobDocument> {
  const doc = await holder.write((d, now) => completedDoc({ ...d, ...preview }, endedBy(holder, now), result, image));
  holder.log.info(
    { outcome: 'completed', queuedMs: result.timings.queuedMs, totalMs: result.timings.totalMs },
    `job completed (attempt ${holder.lease.attempt} of ${doc.maxAttempts})`,
  );
  await ended(holder, doc);
  return doc;
}

export async function fail(holder: JobHolder, code: string, message: string): Promise<JobDocument> {
  const doc = await holder.write((d, now) => failedDoc(d, endedBy(holder, now), code, message));
  holder.log.warn({ outcome: 'failed', code }, `job failed: ${message}`);
  await ended(holder, doc);
  return doc;
}

/** A retryable error with attempts left goes back to the queue after a backoff; anything else fails. */
export async function failOrRetry(holder: JobHolder, err: unknown): Promise<JobDocument> {
  // Our errors carry messages written for the job's owner; anything else (a bug, a library's
  // TypeError, a file path) stays in the log and the job says only that something broke inside.
  const ours = err instanceof AppError;
  if (!ours) holder.log.error({ err }, 'render failed with an unexpected error');
  const code = ours ? err.code : 'internal_error';
  const message = ours && err.message ? err.message.slice(0, 1000) : 'The render failed with an internal error.';
  const used = countedAttempts(holder.doc);
  if (!isRetryable(err) || used >= holder.doc.maxAttempts) {
    const suffix = isRetryable(err) ? ` (gave up after ${used} of ${holder.doc.maxAttempts} attempts)` : '';
    return fail(holder, code, message + suffix);
  }
  const backoff = retryDelayMs(used, { baseMs: holder.deps.queue.retryBaseMs, maxMs: holder.deps.queue.retryMaxMs });
  // A provider's Retry-After is a floor: retrying sooner only earns another 429.
  const asked = err instanceof RenderError && err.retryAfterMs !== null ? Math.min(err.retryAfterMs, 10 * MINUTE) : 0;
  const delay = Math.max(backoff, asked);
  return requeue(
    holder,
    delay,
    'retrying',
    `Attempt ${used} of ${holder.doc.maxAttempts} failed (${message}); retrying in ${(delay / 1000).toFixed(1)} s.`,
    message,
  );
}

/** Shutdown: give the job back without counting the attempt. */
export function handBack(holder: JobHolder): Promise<JobDocument> {
  return requeue(holder, 0, 'handed_back', 'The worker stopped; the job is back in the queue.', null);
}

/** A job taken from a dead worker by one with no room to run it: back to the queue, due now. */
export function requeueLost(holder: JobHolder): Promise<JobDocument> {
  return requeue(holder, 0, 'lost', 'Its worker stopped; the job is back in the queue.', null);
}

async function requeue(holder: JobHolder, delayMs: number, outcome: Outcome, message: string, error: string | null): Promise<JobDocument> {
  const old = holder.doc;
  const runAfterMs = holder.deps.now() + delayMs;
  const marker = markerKeyOf(old, runAfterMs, 'p');
  // The new marker first: if we crash before the document says `pending`, the job is still findable.
  await putMarker(holder.deps.store, marker, old.projectId);
  const doc = await holder.write((d, now) => ({
    ...d,
    status: 'pending',
    // This lease's number: a sweep that requeues a dead worker's job holds the next lease without
    // starting an attempt, and the next claim must take the number after it, not wait out a lease.
    attempt: holder.lease.attempt,
    marker,
    stage: 'queued',
    message,
    runAfter: new Date(runAfterMs).toISOString(),
    workerId: null,
    attempts: closeAttempt(d, holder.lease.attempt, outcome, now, error),
    history: appendHistory(d.history, {
      at: now,
      type: outcome === 'handed_back' ? 'handed_back' : 'retrying',
      message,
      attempt: holder.lease.attempt,
      workerId: holder.lease.workerId,
    }),
  }));
  if (markerOf(old) !== marker) await dropMarker(holder.deps.store, markerOf(old));
  holder.log.info({ outcome, delayMs }, message);
  return doc;
}

export async function cancelled(holder: JobHolder, requestId: string | null = null): Promise<JobDocument> {
  const doc = await holder.write((d, now) => ({
    ...d,
    status: 'cancelled',
    stage: 'cancelled',
    message: 'The job was cancelled.',
    completedAt: now,
    attempts: closeAttempt(d, holder.lease.attempt, 'cancelled', now, null),
    history: appendHistory(d.history, { at: now, type: 'cancelled', attempt: holder.lease.attempt, workerId: holder.lease.workerId, requestId }),
  }));
  holder.log.info({ outcome: 'cancelled' }, 'job cancelled');
  await ended(holder, doc);
  return doc;
}
