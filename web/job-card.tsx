// One job on the dashboard: its concept's title, when it was created and how long it took, live
// status and progress (useRenderJob), previews while it renders, the image to open or download,
// cancel, retry, and — once retried — a link to the job that retried it.
import type { Job, RenderJobs } from '../client/index.js';
import { useRenderJob } from '../react/index.js';
import { useImageSrc } from './image.js';

export interface JobCardProps {
  client: RenderJobs;
  token: string | null;
  projectId: string;
  jobId: string;
  /** The job as the list read it, shown until the live view arrives. */
  listed: Job | null;
  /** The job that retried this one, if any. */
  retriedAs: string | null;
  onRetry: (job: Job) => void;
}

export function JobCard({ client, token, projectId, jobId, listed, retriedAs, onRetry }: JobCardProps) {
  const state = useRenderJob(client, jobId, { projectId });
  const job = state.job ?? listed;
  const status = state.job ? state.status : (listed?.status ?? state.status);
  const running = status === 'pending' || status === 'processing';
  const retried = retriedAs !== null && (status === 'failed' || status === 'cancelled');
  const imageUrl = state.imageUrl ?? (state.job ? null : (listed?.imageUrl ?? null));
  const image = useImageSrc(imageUrl, token);
  const preview = useImageSrc(imageUrl ? null : state.previewUrl, token);
  const title = job?.conceptInputs.title || 'Untitled concept';
  const progress = state.job ? state.progress : (listed?.progress ?? 0);
  return (
    <article className="job" id={`job-${jobId}`} data-job-id={jobId} data-status={status} aria-label={`job ${jobId}`}>
      <div>
        <h2 className="title" data-field="title">
          {title}
        </h2>
        <div className="row meta">
          <span className="status">{status}</span>
          <code title={jobId}>{jobId.slice(0, 12)}…</code>
          <span>{job?.kind}</span>
          {job && (
            <span data-field="created">
              created <time dateTime={job.createdAt}>{new Date(job.createdAt).toLocaleString()}</time>
            </span>
          )}
          {job && took(job) && <span data-field="took">{took(job)}</span>}
        </div>
        <div className="row">
          {running && (
            <button type="button" onClick={() => void client.jobs.cancel(jobId, { projectId })}>
              Cancel
            </button>
          )}
          {job && !running && status !== 'completed' && !retried && (
            <button type="button" onClick={() => onRetry(job)}>
              Retry
            </button>
          )}
          {retried && (
            <span className="meta" data-field="retried">
              Retried as <a href={`#job-${retriedAs}`}>{retriedAs.slice(0, 12)}…</a>
            </span>
          )}
          {image && (
            <>
              <a href={image} target="_blank" rel="noopener">
                Open full image
              </a>
              <a href={image} download={fileName(title, jobId, job?.result?.contentType)}>
                Download
              </a>
            </>
          )}
        </div>
        <progress max={100} value={progress} aria-label="progress" aria-valuenow={progress} />
        <div className="meta">
          {progress}% · {job?.stage ?? '…'} {job?.message ? `· ${job.message}` : ''}
        </div>
        {state.queue?.position ? (
          <div className="meta">
            #{state.queue.position} in queue{eta(state.queue.etaStartAt, 'starts')}
          </div>
        ) : null}
        {status === 'processing' && state.queue?.etaFinishAt ? <div className="meta">{eta(state.queue.etaFinishAt, 'done').slice(3)}</div> : null}
        {job?.error && <p className="error">{job.error}</p>}
        {state.error && <p className="error">{state.error.message}</p>}
        {job && job.history.length > 0 && <History job={job} />}
      </div>
      {image ? (
        <a href={image} target="_blank" rel="noopener">
          <img src={image} alt={`${title}: rendered image`} data-kind="result" />
        </a>
      ) : preview ? (
        <figure>
          <img src={preview} alt={`${title}: preview while rendering`} data-kind="preview" />
          <figcaption className="meta">preview</figcaption>
        </figure>
      ) : (
        <div />
      )}
    </article>
  );
}

function History({ job }: { job: Job }) {
  return (
    <details>
      <summary>history</summary>
      <ul>
        {job.history.map((h, i) => (
          <li key={i}>
            {new Date(h.at).toLocaleTimeString()} {h.type}
            {h.workerId ? ` (${h.workerId})` : ''}
            {h.message ? ` — ${h.message}` : ''}
          </li>
        ))}
      </ul>
    </details>
  );
}

/** From creation to the end: the whole wait the user had, and the render's share of it. */
function took(job: Job): string | null {
  if (job.result) return `took ${seconds(job.result.timings.totalMs)} (render ${seconds(job.result.timings.renderMs)})`;
  if (job.completedAt) return `ended after ${seconds(Date.parse(job.completedAt) - Date.parse(job.createdAt))}`;
  return null;
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms < 120_000 ? `${Math.round(ms / 1000)} s` : `${(ms / 60_000).toFixed(1)} min`;
}

function fileName(title: string, jobId: string, contentType: string | undefined): string {
  const slug = title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 60);
  return `${slug || 'render'}-${jobId.slice(0, 8)}.${contentType === 'image/jpeg' ? 'jpg' : contentType === 'image/webp' ? 'webp' : 'png'}`;
}

function eta(at: string | null, what: string): string {
  if (!at) return '';
  const s = Math.max(0, Math.round((Date.parse(at) - Date.now()) / 1000));
  return ` · ${what} in ~${s} s`;
}
