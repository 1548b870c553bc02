// The shapes the API answers with (a client-side view: only what callers read is typed).
export type JobStatus = 'pending' | 'processing' | 'completed' | 'failed' | 'cancelled';

export interface Job {
  jobId: string;
  projectId: string;
  conceptId: string;
  kind: string;
  status: JobStatus;
  progress: number;
  stage: string | null;
  message: string | null;
  imageUrl: string | null;
  previewUrl: string | null;
  error: string | null;
  errorCode: string | null;
  createdAt: string;
  updatedAt: string;
  attempt: number;
  maxAttempts: number;
  result: { key: string; contentType: string; bytes: number; width: number; height: number; renderer: string; model: string; timings: { queuedMs: number; renderMs: number; totalMs: number } } | null;
  history?: Array<{ at: string; type: string; message: string | null; attempt: number | null; workerId: string | null }>;
  [extra: string]: unknown;
}

/** Where a job stands (the server's own type: shared/job/eta.ts). */
export type { JobOutlook as QueueOutlook } from '../shared/job/eta.js';
import type { JobOutlook as QueueOutlook } from '../shared/job/eta.js';

export interface JobView {
  job: Job;
  pollAfterMs: number | null;
  queue: QueueOutlook | null;
}

export interface CreatedJob {
  jobId: string;
  projectId: string;
  conceptId: string;
  kind: string;
  status: JobStatus;
  pollUrl: string;
  eventsUrl: string;
  cancelUrl: string;
  createdAt: string;
  imageUrl?: string | null;
  job?: Job;
}

export const isFinished = (s: JobStatus) => s === 'completed' || s === 'failed' || s === 'cancelled';
