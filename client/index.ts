// @render-jobs/client — the API from browsers and Node: create a job, wait for it (SSE, or polling
// that follows the server's hint), cancel it, upload its reference images. No dependencies: it
// needs only fetch, streams and AbortSignal, which browsers and Node ≥ 20 have.
import { type ClientOptions, Core } from './core.js';
import { WaitDispatcher } from './dispatcher.js';
import { Jobs } from './jobs.js';
import { Uploads } from './uploads.js';

export { RenderJobsError } from './errors.js';
export type { WatchEvent } from './dispatcher.js';
export type { ClientOptions } from './core.js';
export type { WaitOptions } from './jobs.js';
export type {
  ConceptInputs,
  CreateRequest,
  JobKind,
  Material,
  Palette,
  RenderRequest,
  RenderType,
  Roof,
  RoofForm,
  View,
  Volume,
  WebhookEvent,
  WebhookSpec,
} from './request.js';
export type {
  AttemptRecord,
  CancelResult,
  CreatedJob,
  HistoryEntry,
  Job,
  JobPage,
  JobResult,
  JobStatus,
  JobView,
  QueueOutlook,
  WebhookDelivery,
} from './types.js';
export type { UploadData, UploadFile, UploadTarget } from './uploads.js';
export { isFinished } from './types.js';

export interface RenderJobsClientOptions extends ClientOptions {
  /** Used when a call does not name its project. */
  projectId?: string;
  /** Server-Sent Events for waits (default true); false polls. */
  sse?: boolean;
}

export class RenderJobs {
  readonly jobs: Jobs;
  readonly uploads: Uploads;
  /** Shared by every wait of this client. */
  readonly dispatcher: WaitDispatcher;

  constructor(opts: RenderJobsClientOptions = {}) {
    const core = new Core(opts);
    this.dispatcher = new WaitDispatcher(core, { sse: opts.sse ?? true });
    this.jobs = new Jobs(core, this.dispatcher, opts.projectId);
    this.uploads = new Uploads(core);
  }
}

export function createClient(opts: RenderJobsClientOptions = {}): RenderJobs {
  return new RenderJobs(opts);
}
