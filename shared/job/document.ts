// The job document stored at `jobs/{projectId}/{jobId}.json`, validated on every read and write.
import { z } from 'zod';
import { ConceptId, JobId, ProjectId, UploadId } from '../ids.js';
import { ConceptInputs } from './concept.js';
import { JobKindName, MAX_REFERENCES, RenderType } from './request.js';
import { WEBHOOK_EVENTS } from '../webhooks/spec.js';
import { HistoryEntry } from './history.js';
import { JOB_STATUSES } from './status.js';

const Timestamp = z.iso.datetime();

export const ATTEMPT_OUTCOMES = ['running', 'completed', 'failed', 'retrying', 'cancelled', 'lost', 'handed_back'] as const;

export const AttemptRecord = z.object({
  attempt: z.number().int().min(1),
  workerId: z.string(),
  startedAt: Timestamp,
  endedAt: Timestamp.nullable(),
  outcome: z.enum(ATTEMPT_OUTCOMES),
  error: z.string().nullable(),
});

export const JobResult = z.object({
  key: z.string(),
  contentType: z.string(),
  bytes: z.number().int().min(0),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  renderer: z.string(),
  model: z.string(),
  timings: z.object({ queuedMs: z.number().min(0), renderMs: z.number().min(0), totalMs: z.number().min(0) }),
});

export const JobDocument = z.object({
  schemaVersion: z.literal(1),
  jobId: JobId,
  projectId: ProjectId,
  conceptId: ConceptId,
  renderType: RenderType,
  /** Documents written before kinds existed are renders. */
  kind: JobKindName.default('render'),
  references: z.array(UploadId).max(MAX_REFERENCES).default([]),
  status: z.enum(JOB_STATUSES),
  progress: z.number().int().min(0).max(100),
  stage: z.string().max(64).nullable(),
  message: z.string().max(500).nullable(),
  imageUrl: z.string().nullable(),
  /** When a signed `imageUrl` stops working (stores that sign); null for the API's own URL. */
  imageUrlExpiresAt: Timestamp.nullable().default(null),
  previewUrl: z.string().nullable(),
  /** The latest partial image a streaming render sent, in the store. */
  previewKey: z.string().nullable().default(null),
  error: z.string().max(2000).nullable(),
  errorCode: z.string().max(64).nullable(),
  conceptInputs: ConceptInputs,
  createdAt: Timestamp,
  updatedAt: Timestamp,
  /** Not claimed before this time (the queue marker carries it too). */
  runAfter: Timestamp,
  startedAt: Timestamp.nullable(),
  completedAt: Timestamp.nullable(),
  /** The fencing token: the number of the newest lease taken on this job. */
  attempt: z.number().int().min(0),
  maxAttempts: z.number().int().min(1).max(10),
  leaseExpiresAt: Timestamp.nullable(),
  workerId: z.string().nullable(),
  attempts: z.array(AttemptRecord).max(40),
  history: z.array(HistoryEntry).max(50).default([]),
  webhook: z
    .object({ url: z.string(), events: z.array(z.enum(WEBHOOK_EVENTS)) })
    .nullable()
    .default(null),
  result: JobResult.nullable(),
  idempotencyKey: z.string().nullable(),
  ownerId: z.string().nullable(),
  /** The key of the job's queue marker (null in documents of older versions: see markerOf). */
  marker: z.string().max(600).nullable().default(null),
  /** `startBy`: ends `expired` if not started by then; `runMs`: one attempt's render limit. */
  deadlines: z.object({ startBy: Timestamp.nullable(), runMs: z.number().int().positive().nullable() }).default({ startBy: null, runMs: null }),
});

export type JobDocument = z.output<typeof JobDocument>;
export type JobResult = z.output<typeof JobResult>;
export type AttemptRecord = z.output<typeof AttemptRecord>;
