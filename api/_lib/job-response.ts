// How a job is shown to clients: the document, plus a hint of when to poll again.
import type { JobDocument } from '../../shared/job/document.js';
import { isTerminal } from '../../shared/job/status.js';
import { SECOND } from '../../shared/time.js';

/** Milliseconds a client should wait before polling again; null once the job is finished. */
export function pollAfterMs(job: JobDocument): number | null {
  if (isTerminal(job.status)) return null;
  return job.status === 'pending' ? 1 * SECOND : 2 * SECOND;
}

export const POLL_AFTER_HEADER = 'x-poll-after-ms';
