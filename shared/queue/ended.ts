// "A job has ended": the one place every ending goes through — the worker's outcomes, endings
// decided at claim time (cancel found, start deadline passed, worker lost too often), the API's
// cancel of a pending job, inline runs, and scans that find a job whose holder died after its final
// write. Terminal documents are written once (one writer per job), so the process that wrote the
// ending is the one that announces it: exactly one outcome webhook per job. Everything else here is
// idempotent and may run again from a scan: charging (guarded by its create-only marker), dropping
// the queue marker, deleting the cancel request.
import type { JobDocument } from '../job/document.js';
import { isTerminal } from '../job/status.js';
import { keys } from '../store/keys.js';
import { chargeOnce, othersChargeFromMs } from './charge.js';
import type { QueueDeps } from './deps.js';
import { dropMarker, markerOf } from './markers.js';
import { releaseSlotMovingMarker, releaseSlots, type SlotHold } from './slots.js';

export interface EndingOptions {
  /** True only for the process whose write ended the job: it sends the outcome webhook. */
  announce: boolean;
  /** False when the job never had a queue marker (inline runs). */
  queued?: boolean;
  /** A slot the ending attempt held: freed by moving the marker to its free entry, not by a put of its own. */
  freeing?: SlotHold;
}

/**
 * Null once done; else when to come back (a scan early on a racy store: the charge is still the
 * ending's writer's, see charge.ts), with everything left as it was.
 */
export async function jobEnded(deps: QueueDeps, doc: JobDocument, opts: EndingOptions): Promise<number | null> {
  if (!isTerminal(doc.status)) throw new Error(`jobEnded called for a ${doc.status} job`);
  if (opts.announce) deps.webhooks?.notify(doc, doc.status as 'completed' | 'failed' | 'cancelled');
  // Charged before the marker goes: if this process dies in between, the next scan finds the
  // marker, sees the job ended, and charges it (once: the charge marker is create-only).
  try {
    if ((await chargeOnce(deps, doc, { writer: opts.announce })) === 'writers_turn') return othersChargeFromMs(deps, doc);
  } catch (err) {
    deps.log.warn({ err, jobId: doc.jobId }, 'charge not settled; the queue marker stays so a scan settles it');
    if (opts.freeing) await releaseSlots(deps, [opts.freeing]);
    return null;
  }
  if (opts.queued === false) return null;
  if (opts.freeing) await releaseSlotMovingMarker(deps, opts.freeing, markerOf(doc));
  else await dropMarker(deps.store, markerOf(doc));
  // Only a cancelled job is known to have a cancel request; any other left over goes with the job at pruning.
  if (doc.status === 'cancelled') await deps.store.delete(keys.cancel(doc.jobId));
  return null;
}
