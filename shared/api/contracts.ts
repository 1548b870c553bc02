// The HTTP contract as zod schemas: request bodies are the ones handlers parse with; responses are
// described here once, for the OpenAPI document, and tests check real answers against them.
import { z } from 'zod';
import { JobDocument } from '../job/document.js';
import { DeliveryRecord } from '../webhooks/deliveries.js';
import { JOB_KINDS, RenderRequest } from '../job/request.js';
import { JOB_STATUSES } from '../job/status.js';

export { RenderRequest };

export const ErrorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});

export const QueueOutlook = z
  .object({
    position: z.number().int().nullable(),
    ahead: z.number().int().nullable(),
    etaStartAt: z.string().nullable(),
    etaFinishAt: z.string().nullable(),
    basis: z.enum(['measured', 'typical']),
    workers: z.number().int(),
  })
  .nullable();

export const JobStatusResponse = z.object({
  job: JobDocument,
  pollAfterMs: z.number().int().nullable(),
  queue: QueueOutlook,
  webhookDeliveries: z.array(DeliveryRecord).optional(),
});

/** The event stream's events (`GET /api/jobs/:jobId/events`), by `event:` name; `data:` is their JSON. */
const JobState = z.object({ job: JobDocument, queue: QueueOutlook, pollAfterMs: z.number().int().nullable() });
export const StreamEvents = {
  /** The job's state, each time it changes. */
  status: JobState,
  /** A new partial image while it renders. */
  preview: z.object({ jobId: z.string(), previewUrl: z.string(), progress: z.number() }),
  /** The final state; the stream ends. */
  done: JobState,
  /** The job was deleted while watched; the stream ends. */
  gone: z.object({ jobId: z.string(), error: ErrorBody.shape.error }),
} as const;
export type StreamEventName = keyof typeof StreamEvents;
export type StreamEventData<E extends StreamEventName> = z.input<(typeof StreamEvents)[E]>;

export const CreatedResponse = z.object({
  jobId: z.string(),
  projectId: z.string(),
  conceptId: z.string(),
  kind: z.enum(JOB_KINDS),
  status: z.enum(JOB_STATUSES),
  pollUrl: z.string(),
  processUrl: z.string(),
  eventsUrl: z.string(),
  cancelUrl: z.string(),
  createdAt: z.string(),
  imageUrl: z.string().nullable().optional(),
  job: JobDocument.optional(),
});

export const ListResponse = z.object({ jobs: z.array(JobDocument), next: z.string().nullable(), unreadable: z.array(z.string()).optional() });

export const CancelResponse = z.object({ job: JobDocument, cancelRequestedAt: z.string().nullable().optional() });

export const ProcessResponse = z.object({ jobId: z.string(), status: z.string(), handledBy: z.enum(['worker', 'inline']) });

const Percentiles = z.object({ n: z.number().int(), p50: z.number().nullable(), p95: z.number().nullable() });
const Window = z.object({ completed: z.number().int(), failed: z.number().int(), cancelled: z.number().int(), waitMs: Percentiles, renderMs: Percentiles });
export const MetricsResponse = z.object({
  at: z.string(),
  workers: z.number().int(),
  capacity: z.number().int(),
  running: z.number().int(),
  queued: z.number().int(),
  pending: z.number().int(),
  windows: z.object({ '5m': Window, '1h': Window }),
});

export const UploadsRequest = z.object({
  projectId: z.string(),
  files: z
    .array(z.object({ contentType: z.enum(['image/png', 'image/jpeg', 'image/webp']), bytes: z.number().int().min(1) }))
    .min(1)
    .max(8),
});
export const UploadsResponse = z.object({
  uploads: z.array(z.object({ uploadId: z.string(), url: z.string(), method: z.string(), headers: z.record(z.string(), z.string()) })),
  maxBytes: z.number().int(),
  expiresAt: z.string(),
});

export const PruneResponse = z.object({
  examined: z.number().int(),
  pruned: z.number().int(),
  deleted: z.number().int(),
  cutShort: z.boolean(),
  orphans: z.number().int().nullable().optional(),
  retentionDays: z.number(),
  tookMs: z.number(),
});
