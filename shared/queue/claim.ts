// Claiming a job: create its next lease create-only, then start the attempt (or finish the job,
// when it was cancelled or its attempts are used up).
import { appendHistory } from '../job/history.js';
import type { JobDocument } from '../job/document.js';
import { isTerminal } from '../job/status.js';
import { CLOCK_SKEW_MS, type QueueDeps } from './deps.js';
import { cancelled, countedAttempts, fail, requeueLost } from './finish.js';
import { JobHolder } from './holder.js';
import { readJob } from '../job/job-docs.js';
import { createLease, readLease } from './lease.js';
import { keys } from '../store/keys.js';
import { listAll } from '../store/object-store.js';
import { markerKeyOf, markerOf, moveMarker, ownerTag } from './markers.js';
import { readGlobalAhead, releaseSlots, type SlotHold, takeSlots } from './slots.js';

export type ClaimOutcome =
  | { kind: 'run'; holder: JobHolder }
  | { kind: 'finished'; doc: JobDocument }
  | { kind: 'terminal'; doc: JobDocument }
  | { kind: 'busy'; retryAtMs: number }
  | { kind: 'not_due'; retryAtMs: number }
  /** A concurrency cap is reached (the owner's or the global one): the job waits its turn. */
  | { kind: 'capped'; full: 'owner' | 'global'; retryAtMs: number; ownerTag?: string }
  | { kind: 'missing' };

export interface ClaimOptions {
  workerId: string;
  /** Claim only to cancel: ignore `runAfter` and never start a render. */
  toCancel?: boolean;
  /**
   * Claim only a job whose worker died, to put it back in the queue: a worker with no free slot
   * still frees others' stalled jobs, so none stays `processing` on a dead worker for long.
   */
  toRequeue?: boolean;
  /** The API request claiming (a cancel): recorded on the history entry it causes. */
  requestId?: string | null;
  /**
   * List the global cap's slots beside the document read, not after it: one round trip less before
   * a job that will run starts, one listing wasted when it will not. For jobs expected to be
   * pending and due (a poke, a pending marker), not for a running job's marker coming due.
   */
  listSlotsAhead?: boolean;
  /**
   * Answer `run` once the lease is won and the claim's document write has started, not landed: the
   * render starts beside that write, one round trip sooner (`runJob` waits for it before anything
   * else, and aborts the render should it fail). For a worker about to run the job; not for a job
   * that may have a cancel request waiting, whose look the render must not start before.
   */
  startBeforeWritten?: boolean;
}

/** Leases beyond maxAttempts that hand-backs may use before the job is failed anyway. */
const HAND_BACK_ALLOWANCE = 10;

export async function claimJob(deps: QueueDeps, ref: { projectId: string; jobId: string }, opts: ClaimOptions): Promise<ClaimOutcome> {
  let minAttempt = 0;
  for (let round = 0; round < 4; round++) {
    const ahead = round === 0 && opts.listSlotsAhead && !opts.toCancel && !opts.toRequeue ? readGlobalAhead(deps) : null;
    const doc = await readJob(deps.store, ref.projectId, ref.jobId);
    if (!doc) return { kind: 'missing' };
    if (isTerminal(doc.status)) return { kind: 'terminal', doc };
    const now = deps.now();
    const runAfterMs = Date.parse(doc.runAfter);
    if (doc.status === 'pending' && runAfterMs > now && !opts.toCancel) return { kind: 'not_due', retryAtMs: runAfterMs };
    if (opts.toRequeue && doc.status !== 'processing') return { kind: 'not_due', retryAtMs: now + deps.queue.pollIntervalMs };
    if (doc.status === 'processing') {
      const expiresMs = doc.leaseExpiresAt ? Date.parse(doc.leaseExpiresAt) : 0;
      if (expiresMs + CLOCK_SKEW_MS > now) return { kind: 'busy', retryAtMs: expiresMs + CLOCK_SKEW_MS };
    }

    const attempt = Math.max(doc.attempt + 1, minAttempt);
    // A job that ends here (cancelled, expired) needs no slot; one that will run takes its slots
    // before its lease, so a job over a cap waits as pending instead of using up attempts.
    let holds: SlotHold[] = [];
    if (!opts.toCancel && !opts.toRequeue && !pastStartDeadline(doc, now, deps.queue)) {
      const taken = await takeSlots(deps, { ...ref, attempt, ownerId: doc.ownerId }, ahead);
      if ('full' in taken) return { kind: 'capped', full: taken.full, retryAtMs: now + deps.queue.pollIntervalMs, ownerTag: ownerTag(doc.ownerId) };
      holds = taken.holds;
    }
    const lease = await createLease(deps, ref, attempt, opts.workerId).catch(async (err: unknown) => {
      await releaseSlots(deps, holds);
      throw err;
    });
    if (lease) {
      // A takeover decided on a read from before the lease existed: the old holder may have
      // finished in between (a stalled process writes late). Start from the document as it is now.
      const current = doc.status === 'processing' ? await readJob(deps.store, ref.projectId, ref.jobId) : doc;
      if (!current || isTerminal(current.status)) {
        await releaseSlots(deps, holds);
        return current ? { kind: 'terminal', doc: current } : { kind: 'missing' };
      }
      const holder = new JobHolder(deps, lease, current, holds);
      try {
        const outcome = await startAttempt(deps, holder, opts);
        if (outcome.kind !== 'run') await holder.releaseSlots();
        return outcome;
      } catch (err) {
        await holder.releaseSlots();
        throw err;
      }
    }
    await releaseSlots(deps, holds);

    // Someone holds `attempt`, or a later number: the newest lease, not the document, says which
    // (claimers that died between their lease and their document write leave leases the document
    // never mentions). If it is older than a lease's life, the number after it is free to take.
    const newest = await newestLease(deps, ref.jobId, attempt);
    const existing = await readLease(deps, ref.jobId, newest);
    const claimedMs = existing ? Date.parse(existing.claimedAt) : 0;
    if (claimedMs + deps.queue.leaseMs + CLOCK_SKEW_MS > now) {
      return { kind: 'busy', retryAtMs: claimedMs + deps.queue.leaseMs + CLOCK_SKEW_MS };
    }
    minAttempt = newest + 1; // re-read the document: it may have moved on since
  }
  return { kind: 'busy', retryAtMs: deps.now() + deps.queue.pollIntervalMs };
}

/** The highest attempt number with a lease (at least `atLeast`): one listing, however many there are. */
async function newestLease(deps: QueueDeps, jobId: string, atLeast: number): Promise<number> {
  let newest = atLeast;
  for await (const entry of listAll(deps.store, keys.leaseFolder(jobId))) {
    const n = Number(entry.name);
    if (Number.isInteger(n) && n > newest) newest = n;
  }
  return newest;
}

/**
 * Its start deadline has passed and it is not running: it expires instead of running late. A job
 * that started and went back to the queue is covered too, once it has waited longer than its start
 * window plus every attempt's run deadline and longest backoff: nothing legitimate takes that long.
 */
function pastStartDeadline(doc: JobDocument, nowMs: number, queue: QueueDeps['queue']): boolean {
  if (doc.deadlines.startBy === null) return false;
  const startBy = Date.parse(doc.deadlines.startBy);
  if (doc.startedAt === null) return startBy <= nowMs;
  const perAttempt = (doc.deadlines.runMs ?? queue.runDeadlineMs) + queue.retryMaxMs + queue.leaseMs;
  return doc.status === 'pending' && startBy + doc.maxAttempts * perAttempt <= nowMs;
}

/** A running attempt whose holder stopped renewing its lease is marked lost. */
function markLost(d: JobDocument, now: string): JobDocument {
  return {
    ...d,
    attempts: d.attempts.map((a) => (a.outcome === 'running' ? { ...a, outcome: 'lost' as const, endedAt: now, error: 'lease expired' } : a)),
    history: appendHistory(d.history, { at: now, type: 'lost', message: 'The worker stopped renewing its lease.', attempt: d.attempt, workerId: d.workerId }),
  };
}

/** Why a claimed job ends here instead of running, if it does. */
function endingAtClaim(holder: JobHolder, deps: QueueDeps, opts: ClaimOptions): (() => Promise<JobDocument>) | null {
  const { doc, lease } = holder;
  if (opts.toCancel) return () => cancelled(holder, opts.requestId ?? null);
  if (pastStartDeadline(doc, deps.now(), deps.queue)) {
    const message =
      doc.startedAt === null
        ? `The job was not started before its start deadline (${doc.deadlines.startBy}); it was not rendered.`
        : `The job kept going back to the queue past every deadline it could legitimately need; it was stopped.`;
    return () => fail(holder, 'expired', message);
  }
  if (countedAttempts(doc) >= doc.maxAttempts) {
    const message = `The worker running this job stopped responding, and all ${doc.maxAttempts} attempts are used.`;
    return () => fail(holder, 'worker_lost', message);
  }
  if (lease.attempt > doc.maxAttempts + HAND_BACK_ALLOWANCE) return () => fail(holder, 'too_many_attempts', 'The job was handed back too many times.');
  if (opts.toRequeue) return () => requeueLost(holder);
  return null;
}

async function startAttempt(deps: QueueDeps, holder: JobHolder, opts: ClaimOptions): Promise<ClaimOutcome> {
  const { lease } = holder;
  const before = holder.doc;
  // A takeover: the previous holder's attempt is lost (crashed, stalled or cut off).
  const takeover = before.status === 'processing';
  if (takeover) holder.log.warn({ previousWorker: before.workerId }, 'took over a job whose lease expired');
  const ending = endingAtClaim(holder, deps, opts);
  if (ending) {
    if (takeover) await holder.write(markLost);
    return { kind: 'finished', doc: await ending() };
  }

  // A cancel request is written only for a job held when it was asked (cancel.ts): a job never
  // claimed has none, and its first claim saves the look. One that ran before (retried, handed back,
  // taken over), or whose last claimer died before writing the document (a lease number it skips),
  // may have one: looked for beside the claim's writes, and a job found cancelled ends right after
  // its claim. A failed look is the heartbeat's to repeat.
  const mayBeCancelled = before.attempts.length > 0 || lease.attempt > before.attempt + 1;
  const cancelAsked = mayBeCancelled ? holder.cancelRequested().catch(() => false) : Promise.resolve(false);
  // The marker moves to when this lease would run out, flagged running: should this worker die, the
  // job shows up as a due marker of a running job, found by any scan with no listing of its own.
  // One move beside the document write: whichever of the two lands without the other, one marker
  // finds the job (the old one, due now, or the new one once the lease is over).
  const used = countedAttempts(before);
  const oldMarker = markerOf(before);
  const marker = markerKeyOf(before, deps.now() + deps.queue.leaseMs, 'r');
  const moved = oldMarker === marker ? Promise.resolve() : moveMarker(deps.store, oldMarker, marker, before.projectId);
  moved.catch(() => undefined);
  const claimed = holder.write((old, now) => {
    const d = takeover ? markLost(old, now) : old;
    return {
      ...d,
      marker,
      status: 'processing',
      attempt: lease.attempt,
      workerId: lease.workerId,
      startedAt: d.startedAt ?? now,
      progress: 0,
      stage: 'claimed',
      message: `Attempt ${used + 1} of ${d.maxAttempts} started.`,
      attempts: [
        ...d.attempts,
        { attempt: lease.attempt, workerId: lease.workerId, startedAt: now, endedAt: null, outcome: 'running' as const, error: null },
      ].slice(-40),
      history: appendHistory(d.history, {
        at: now,
        type: 'claimed',
        message: `Attempt ${used + 1} of ${d.maxAttempts}.`,
        attempt: lease.attempt,
        workerId: lease.workerId,
      }),
    };
  });
  // One info line per job, at its outcome (it carries the queued time too); the start is for debugging.
  const claimedLine = () =>
    holder.log.debug({ queuedMs: deps.now() - Date.parse(before.createdAt) }, `job claimed (attempt ${used + 1} of ${before.maxAttempts})`);
  if (opts.startBeforeWritten && !mayBeCancelled) {
    claimed.then(claimedLine, () => undefined);
    return { kind: 'run', holder };
  }
  await claimed;
  await moved;
  if (await cancelAsked) return { kind: 'finished', doc: await cancelled(holder) };
  claimedLine();
  return { kind: 'run', holder };
}
