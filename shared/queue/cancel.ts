// Cancelling from outside. The request is its own object (`cancel/{jobId}`), so the one-writer rule
// holds: a pending job (or one whose worker died) is claimed and finished as cancelled here; a
// running one is stopped by its holder, which sees the request at its next heartbeat.
import { NotFoundError } from '../errors.js';
import type { JobDocument } from '../job/document.js';
import { isTerminal } from '../job/status.js';
import { keys } from '../store/keys.js';
import { claimJob } from './claim.js';
import type { QueueDeps } from './deps.js';
import { readJob } from '../job/job-docs.js';

export interface CancelOutcome {
  job: JobDocument;
  /** Set while a running job has been asked to stop and has not stopped yet. */
  cancelRequestedAt: string | null;
  /** This call ended the job (it was pending, or its worker was gone). */
  cancelledHere: boolean;
}

export async function requestCancel(
  deps: QueueDeps,
  ref: { projectId: string; jobId: string },
  opts: { requestId?: string | null } = {},
): Promise<CancelOutcome> {
  const doc = await readJob(deps.store, ref.projectId, ref.jobId);
  if (!doc) throw new NotFoundError();
  if (isTerminal(doc.status)) return { job: doc, cancelRequestedAt: null, cancelledHere: false };

  const requestedAt = new Date(deps.now()).toISOString();
  await deps.store.put(keys.cancel(ref.jobId), JSON.stringify({ requestedAt }), { contentType: 'application/json' });
  // Pending, or processing under an expired lease (its worker died): claim it and finish it here.
  // A live lease answers `busy` without a write; its holder sees the request at its next heartbeat.
  const outcome = await claimJob(deps, ref, { workerId: 'api-cancel', toCancel: true, requestId: opts.requestId ?? null });
  if (outcome.kind === 'finished' || outcome.kind === 'terminal') {
    return { job: outcome.doc, cancelRequestedAt: null, cancelledHere: outcome.kind === 'finished' && outcome.doc.status === 'cancelled' };
  }
  // Held by a worker right now (or claimed between our read and our claim): it stops within a heartbeat.
  const latest = (await readJob(deps.store, ref.projectId, ref.jobId)) ?? doc;
  return { job: latest, cancelRequestedAt: isTerminal(latest.status) ? null : requestedAt, cancelledHere: false };
}
