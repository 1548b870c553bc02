// A kind of job: its handler, and whether it is fast enough to answer inside the create request.
// What it costs (credits.ts) and how long it usually takes (durations.ts) live in side tables that
// load no renderer. Routes, status, retries and limits are shared.
import type { JobDocument } from '../job/document.js';
import type { JobKindName } from '../job/request.js';
import type { RenderContext, RenderInput, RenderOutput, RenderProvider } from '../providers/provider.js';
import type { ObjectStore } from '../store/object-store.js';

export interface KindEnv {
  store: ObjectStore;
  /** The configured renderer, loaded on first use (it is heavy; inline kinds may not need it). */
  provider: () => Promise<RenderProvider>;
}

export interface KindOutput extends RenderOutput {
  /** Which renderer made the image. */
  renderer: string;
}

export interface JobKind {
  readonly name: JobKindName;
  /** Answered synchronously by `POST /api/jobs/render` (well inside a function's time budget). */
  readonly inline: boolean;
  run(job: JobDocument, env: KindEnv, ctx: RenderContext): Promise<KindOutput>;
}

/** What every kind hands its renderer: the job's identity and concept. */
export function renderInputOf(job: JobDocument): RenderInput {
  return { jobId: job.jobId, projectId: job.projectId, conceptId: job.conceptId, renderType: job.renderType, conceptInputs: job.conceptInputs };
}
