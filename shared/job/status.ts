// Job statuses and the only transitions allowed between them (DESIGN.md).
import { InvalidTransitionError } from '../errors.js';

export const JobStatus = Object.freeze({
  pending: 'pending',
  processing: 'processing',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
} as const);

export type JobStatus = (typeof JobStatus)[keyof typeof JobStatus];
export const JOB_STATUSES = Object.values(JobStatus) as [JobStatus, ...JobStatus[]];

const TRANSITIONS: Readonly<Record<JobStatus, readonly JobStatus[]>> = Object.freeze({
  // pending → failed: a job whose lease holder vanished on its last allowed attempt.
  pending: ['processing', 'cancelled', 'failed'],
  // processing → pending: a retryable failure, an expired lease or a hand-back, with attempts left.
  processing: ['pending', 'processing', 'completed', 'failed', 'cancelled'],
  completed: [],
  failed: [],
  cancelled: [],
});

export function isTerminal(status: JobStatus): boolean {
  return TRANSITIONS[status].length === 0;
}

export function assertTransition(from: JobStatus, to: JobStatus): void {
  if (from === to && !isTerminal(from)) return; // progress and heartbeats keep the status
  if (!TRANSITIONS[from].includes(to)) throw new InvalidTransitionError(from, to);
}
