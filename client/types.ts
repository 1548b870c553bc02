// The shapes the API answers with, declared without zod (the package has no dependencies).
// shared/api/contracts.ts is the truth: test/client/contract-types.ts fails to compile when these
// drift from it.
import type { ConceptInputs, JobKind, RenderType, WebhookEvent } from './request.js';

export type JobStatus = 'pending' | 'processing' | 'completed' | 'failed' | 'cancelled';

export interface JobResult {
  key: string;
  contentType: string;
  bytes: number;
  width: number;
  height: number;
  renderer: string;
  model: string;
  timings: { queuedMs: number; renderMs: number; totalMs: number };
}

export interface AttemptRecord {
  attempt: number;
  workerId: string;
  startedAt: string;
  endedAt: string | null;
  outcome: 'running' | 'completed' | 'failed' | 'retrying' | 'cancelled' | 'lost' | 'handed_back';
  error: string | null;
}

export interface HistoryEntry {
  at: string;
  type: 'created' | 'claimed' | 'stage' | 'lost' | 'retrying' | 'handed_back' | 'completed' | 'failed' | 'cancelled';
  message: string | null;
  attempt: number | null;
  workerId: string | null;
  /** The API request that caused it (its `x-request-id`), for entries a request causes. */
  requestId: string | null;
}

/** The job document. Timestamps are ISO 8601 strings. */
export interface Job {
  schemaVersion: 1;
  jobId: string;
  projectId: string;
  conceptId: string;
  renderType: RenderType;
  kind: JobKind;
  references: string[];
  status: JobStatus;
  /** 0–100. */
  progress: number;
  /** What is happening now. */
  stage: string | null;
  message: string | null;
  /** Once completed: the API's image route, or a signed storage URL until `imageUrlExpiresAt`. */
  imageUrl: string | null;
  imageUrlExpiresAt: string | null;
  /** The latest partial image while a streaming render runs. */
  previewUrl: string | null;
  previewKey: string | null;
  error: string | null;
  errorCode: string | null;
  /** As the server stored it, with its defaults filled in. */
  conceptInputs: ConceptInputs;
  createdAt: string;
  updatedAt: string;
  runAfter: string;
  startedAt: string | null;
  completedAt: string | null;
  /** The current attempt (0 before the first claim). */
  attempt: number;
  maxAttempts: number;
  leaseExpiresAt: string | null;
  workerId: string | null;
  attempts: AttemptRecord[];
  history: HistoryEntry[];
  webhook: { url: string; events: WebhookEvent[] } | null;
  result: JobResult | null;
  idempotencyKey: string | null;
  ownerId: string | null;
  /** The key of the job's queue marker while it has one (internal; null in older documents). */
  marker: string | null;
  deadlines: { startBy: string | null; runMs: number | null };
}

/** Where a job stands and when it should start and finish. */
export interface QueueOutlook {
  /** 1 = next to start. Null once the job runs or is finished. */
  position: number | null;
  /** Jobs in the queue before this one (some may already be running). */
  ahead: number | null;
  etaStartAt: string | null;
  etaFinishAt: string | null;
  /** `measured`: from the last hour's renders; `typical`: from the kind's expected duration. */
  basis: 'measured' | 'typical';
  workers: number;
}

export interface WebhookDelivery {
  id: string;
  event: WebhookEvent;
  attempt: number;
  at: string;
  ok: boolean;
  status: number | null;
  error: string | null;
  durationMs: number;
}

/** GET /api/jobs/:jobId */
export interface JobView {
  job: Job;
  /** When to ask again; null once the job is finished. */
  pollAfterMs: number | null;
  queue: QueueOutlook | null;
  webhookDeliveries?: WebhookDelivery[];
}

/** POST /api/jobs/render */
export interface CreatedJob {
  jobId: string;
  projectId: string;
  conceptId: string;
  kind: JobKind;
  status: JobStatus;
  pollUrl: string;
  processUrl: string;
  eventsUrl: string;
  cancelUrl: string;
  createdAt: string;
  imageUrl?: string | null;
  /** Inline kinds (`preview`) answer with the finished job. */
  job?: Job;
}

/** GET /api/jobs */
export interface JobPage {
  jobs: Job[];
  /** Pass as `cursor` for the next page; null on the last. */
  next: string | null;
  /** Jobs whose documents could not be read (logged on the server). */
  unreadable?: string[];
}

/** POST /api/jobs/:jobId/cancel */
export interface CancelResult {
  job: Job;
  cancelRequestedAt?: string | null;
}

export const isFinished = (s: JobStatus) => s === 'completed' || s === 'failed' || s === 'cancelled';
