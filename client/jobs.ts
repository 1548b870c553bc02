// jobs.create / retrieve / list / cancel / wait / createAndWait.
import type { Core } from './core.js';
import type { WaitDispatcher } from './dispatcher.js';
import { RenderJobsError } from './errors.js';
import type { CreateRequest } from './request.js';
import type { CancelResult, CreatedJob, Job, JobPage, JobView } from './types.js';

export interface WaitOptions {
  signal?: AbortSignal;
  /** Give up (error `wait_timeout`) after this long. Default 10 minutes; there is always a cap. */
  maxWaitMs?: number;
  /** Called with every change while the job runs. */
  onProgress?: (view: JobView) => void;
  onPreview?: (previewUrl: string) => void;
}

const DEFAULT_MAX_WAIT_MS = 10 * 60 * 1000;

export class Jobs {
  constructor(
    private readonly core: Core,
    private readonly dispatcher: WaitDispatcher,
    private readonly defaultProjectId: string | undefined,
  ) {}

  private project(projectId?: string): string {
    const p = projectId ?? this.defaultProjectId;
    if (!p) throw new RenderJobsError('invalid_request', 'projectId is required (pass it, or set it on the client).');
    return p;
  }

  /**
   * With an `idempotencyKey` the create is safe to repeat, so it is retried like a read (network
   * errors, 5xx, 429): a repeat returns the same job, never a second one.
   */
  create(request: CreateRequest, opts: { signal?: AbortSignal; idempotencyKey?: string } = {}): Promise<CreatedJob> {
    return this.core.request('POST', '/api/jobs/render', {
      body: { ...request, projectId: this.project(request.projectId) },
      signal: opts.signal,
      ...(opts.idempotencyKey ? { headers: { 'idempotency-key': opts.idempotencyKey }, idempotent: true } : {}),
    });
  }

  retrieve(jobId: string, opts: { projectId?: string; signal?: AbortSignal } = {}): Promise<JobView> {
    return this.core.request('GET', `/api/jobs/${encodeURIComponent(jobId)}`, {
      query: { projectId: this.project(opts.projectId) },
      signal: opts.signal,
      idempotent: true,
    });
  }

  list(opts: { projectId?: string; limit?: number; cursor?: string | null; signal?: AbortSignal } = {}): Promise<JobPage> {
    return this.core.request('GET', '/api/jobs', {
      query: { projectId: this.project(opts.projectId), limit: opts.limit, cursor: opts.cursor ?? undefined },
      signal: opts.signal,
      idempotent: true,
    });
  }

  cancel(jobId: string, opts: { projectId?: string; signal?: AbortSignal } = {}): Promise<CancelResult> {
    return this.core.request('POST', `/api/jobs/${encodeURIComponent(jobId)}/cancel`, {
      query: { projectId: this.project(opts.projectId) },
      signal: opts.signal,
      idempotent: true,
    });
  }

  /** Every change of a job until it ends; returns the way to stop. One connection per job, shared. */
  watch(jobId: string, onEvent: Parameters<WaitDispatcher['watch']>[2], opts: { projectId?: string } = {}): () => void {
    return this.dispatcher.watch(this.project(opts.projectId), jobId, onEvent);
  }

  /** Resolves with the finished job (completed, failed or cancelled). Rejects on `not_found`,
   * `wait_timeout` and `aborted`. */
  wait(jobId: string, opts: WaitOptions & { projectId?: string } = {}): Promise<Job> {
    const projectId = this.project(opts.projectId);
    return new Promise<Job>((resolve, reject) => {
      if (opts.signal?.aborted) return reject(new RenderJobsError('aborted', 'The wait was aborted.'));
      let stop = () => {};
      const finish = (fn: () => void) => {
        stop();
        clearTimeout(cap);
        opts.signal?.removeEventListener('abort', onAbort);
        fn();
      };
      const maxWaitMs = opts.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
      const cap = setTimeout(() => finish(() => reject(new RenderJobsError('wait_timeout', `Job ${jobId} did not finish within ${maxWaitMs} ms.`))), maxWaitMs);
      const onAbort = () => finish(() => reject(new RenderJobsError('aborted', 'The wait was aborted.')));
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      stop = this.dispatcher.watch(projectId, jobId, (event) => {
        if (event.type === 'update') opts.onProgress?.(event.view);
        else if (event.type === 'preview') opts.onPreview?.(event.previewUrl);
        else if (event.type === 'done') {
          opts.onProgress?.(event.view);
          finish(() => resolve(event.view.job));
        } else finish(() => reject(event.error));
      });
    });
  }

  async createAndWait(request: CreateRequest, opts: WaitOptions = {}): Promise<Job> {
    const created = await this.create(request, { signal: opts.signal });
    if (created.job) return created.job; // inline kinds answer finished
    return this.wait(created.jobId, { ...opts, projectId: created.projectId });
  }
}
