// How a held job leaves `processing`: completed, failed, retried, cancelled or handed back.
// Each writes the document first and tidies markers after, so a crash in between leaves at worst a
// stale marker, which the next scan removes.
import { AppError, isRetryable, RenderError } from '../errors.js';
import type { AttemptRecord, JobDocument, JobResult } from '../job/document.js';
import { appendHistory } from '../job/history.js';
import type { ImageLink } from '../job/image-url.js';
import { keys } from '../store/keys.js';
import { MINUTE } from '../time.js';
import { retryDelayMs } from './backoff.js';
import { chargeOnce } from './charge.js';
import type { JobHolder } from './holder.js';
import { dropMarker, putMarker } from './markers.js';

type Outcome = AttemptRecord['outcome'];

function closeAttempt(doc: JobDocument, attempt: number, outcome: Outcome, nowIso: string, error: string | null) {
  return doc.attempts.map((a) => (a.attempt === attempt && a.outcome === 'running' ? { ...a, outcome, endedAt: nowIso, error } : a));
}

/** Attempts that count against `maxAttempts`: a hand-back at shutdown is not the job's fault. */
export function countedAttempts(doc: JobDocument): number {
  return doc.attempts.filter((a) => a.outcome !== 'handed_back').length;
}

function dropMarkerOf(holder: JobHolder, doc: JobDocument): Promise<void> {
  return dropMarker(holder.deps.store, Date.parse(doc.runAfter), doc.jobId);
}

export async function complete(holder: JobHolder, result: JobResult, image: ImageLink): Promise<JobDocument> {
  const doc = await holder.write((d, now) => ({
    ...d,
    status: 'completed',
    progress: 100,
    stage: 'done',
    message: 'Render complete.',
    imageUrl: image.url,
    imageUrlExpiresAt: image.expiresAt,
    result,
    completedAt: now,
    workerId: holder.lease.workerId,
    attempts: closeAttempt(d, holder.lease.attempt, 'completed', now, null),
    history: appendHistory(d.history, { at: now, type: 'completed', attempt: holder.lease.attempt, workerId: holder.lease.workerId }),
  }));
  // Charged before the marker goes: if this process dies in between, the next scan finds the
  // marker, sees the job completed, and charges it (once: the charge marker is create-only).
  try {
    await chargeOnce(holder.deps, doc);
  } catch (err) {
    holder.log.warn({ err }, 'charge not settled; the queue marker stays so a scan settles it');
    return doc;
  }
  await dropMarkerOf(holder, doc);
  await holder.deps.store.delete(keys.cancel(doc.jobId));
  holder.log.info({ outcome: 'completed', totalMs: result.timings.totalMs }, `job completed (attempt ${holder.lease.attempt} of ${doc.maxAttempts})`);
  return doc;
}

export async function fail(holder: JobHolder, code: string, message: string): Promise<JobDocument> {
  const doc = await holder.write((d, now) => ({
    ...d,
    status: 'failed',
    stage: 'failed',
    message,
    error: message,
    errorCode: code,
    completedAt: now,
    attempts: closeAttempt(d, holder.lease.attempt, 'failed', now, message),
    history: appendHistory(d.history, { at: now, type: 'failed', message, attempt: holder.lease.attempt, workerId: holder.lease.workerId }),
  }));
  await dropMarkerOf(holder, doc);
  holder.log.warn({ outcome: 'failed', code }, `job failed: ${message}`);
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
  return requeue(holder, delay, 'retrying', `Attempt ${used} of ${holder.doc.maxAttempts} failed (${message}); retrying in ${(delay / 1000).toFixed(1)} s.`, message);
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
  // The new marker first: if we crash before the document says `pending`, the job is still findable.
  await putMarker(holder.deps.store, runAfterMs, old);
  const doc = await holder.write((d, now) => ({
    ...d,
    status: 'pending',
    stage: 'queued',
    message,
    runAfter: new Date(runAfterMs).toISOString(),
    workerId: null,
    attempts: closeAttempt(d, holder.lease.attempt, outcome, now, error),
    history: appendHistory(d.history, { at: now, type: outcome === 'handed_back' ? 'handed_back' : 'retrying', message, attempt: holder.lease.attempt, workerId: holder.lease.workerId }),
  }));
  if (old.runAfter !== doc.runAfter) await dropMarkerOf(holder, old);
  holder.log.info({ outcome, delayMs }, message);
  return doc;
}

export async function cancelled(holder: JobHolder): Promise<JobDocument> {
  const doc = await holder.write((d, now) => ({
    ...d,
    status: 'cancelled',
    stage: 'cancelled',
    message: 'The job was cancelled.',
    completedAt: now,
    attempts: closeAttempt(d, holder.lease.attempt, 'cancelled', now, null),
    history: appendHistory(d.history, { at: now, type: 'cancelled', attempt: holder.lease.attempt, workerId: holder.lease.workerId }),
  }));
  await dropMarkerOf(holder, doc);
  await holder.deps.store.delete(keys.cancel(doc.jobId));
  holder.log.info({ outcome: 'cancelled' }, 'job cancelled');
  return doc;
}
