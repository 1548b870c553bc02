// Cancelling from outside. The request is its own object (`cancel/{jobId}`), so the one-writer rule
// holds: a pending job (or one whose worker died) is claimed and finished as cancelled here, with no
// request written; a running one gets the request, and its holder sees it at its next heartbeat. So
// only a job held when it was asked has a request: a job never claimed has none (claim.ts relies on it).
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

  // Pending, or processing under an expired lease (its worker died): claim it and finish it here.
  // A live lease answers `busy` without a write: only then is the request written, for its holder.
  const outcome = await claimJob(deps, ref, { workerId: 'api-cancel', toCancel: true, requestId: opts.requestId ?? null });
  if (outcome.kind === 'finished' || outcome.kind === 'terminal') {
    return { job: outcome.doc, cancelRequestedAt: null, cancelledHere: outcome.kind === 'finished' && outcome.doc.status === 'cancelled' };
  }
  const requestedAt = new Date(deps.now()).toISOString();
  await deps.store.put(keys.cancel(ref.jobId), JSON.stringify({ requestedAt }), { contentType: 'application/json' });
  // Held by a worker right now (or claimed between our read and our claim): it stops within a
  // heartbeat. Handed back or retried meanwhile, it is pending again and has run: its next claim looks.
  const latest = (await readJob(deps.store, ref.projectId, ref.jobId)) ?? doc;
  return { job: latest, cancelRequestedAt: isTerminal(latest.status) ? null : requestedAt, cancelledHere: false };
}
