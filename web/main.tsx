// The dashboard: submit a concept, watch the project's jobs live (status, progress, queue position,
// ETA, previews, the image), cancel or retry them. Built on the client SDK and useRenderJob; the
// project lives in the URL (#project=…), so a refresh picks everything up again.
import { StrictMode, useCallback, useEffect, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { createClient, type Job, type RenderJobsError } from '../client/index.js';
import { useRenderJob } from '../react/index.js';
import example from '../examples/concept.json' with { type: 'json' };

const client = createClient({ baseUrl: '' });

function projectFromHash(): string {
  return new URLSearchParams(location.hash.slice(1)).get('project') ?? (example as { projectId: string }).projectId;
}

function App() {
  const [projectId, setProjectId] = useState(projectFromHash);
  const [jobIds, setJobIds] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    location.hash = `project=${encodeURIComponent(projectId)}`;
    client.jobs
      .list({ projectId, limit: 20 })
      .then((page) => setJobIds(page.jobs.map((j) => j.jobId)))
      .catch((e: RenderJobsError) => setError(e.message));
  }, [projectId]);
  const submit = useCallback(
    async (body: Record<string, unknown>) => {
      setError(null);
      try {
        const created = await client.jobs.create({ ...body, projectId });
        setJobIds((ids) => [created.jobId, ...ids.filter((id) => id !== created.jobId)]);
      } catch (e) {
        const err = e as RenderJobsError;
        const details = Array.isArray(err.details) ? ` — ${(err.details as Array<{ path: unknown[]; message: string }>).map((d) => `${d.path.join('.')}: ${d.message}`).join('; ')}` : '';
        setError(`${err.message}${details}`);
      }
    },
    [projectId],
  );
  return (
    <>
      <h1>render-jobs</h1>
      <ConceptForm projectId={projectId} onProject={setProjectId} onSubmit={submit} />
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <section className="jobs" aria-label="jobs">
        {jobIds.map((id) => (
          <JobCard key={id} jobId={id} projectId={projectId} onRetry={submit} />
        ))}
      </section>
    </>
  );
}

function ConceptForm(props: { projectId: string; onProject: (p: string) => void; onSubmit: (body: Record<string, unknown>) => void }) {
  const initial = useMemo(() => JSON.stringify((example as { conceptInputs: unknown }).conceptInputs, null, 2), []);
  const [text, setText] = useState(initial);
  const [kind, setKind] = useState('render');
  const [parseError, setParseError] = useState<string | null>(null);
  return (
    <form
      aria-label="new render"
      onSubmit={(e) => {
        e.preventDefault();
        try {
          const conceptInputs = JSON.parse(text) as unknown;
          setParseError(null);
          props.onSubmit({ renderType: 'axonometric', kind, conceptInputs });
        } catch (err) {
          setParseError(`The concept is not valid JSON: ${(err as Error).message}`);
        }
      }}
    >
      <div className="row">
        <label>
          Project <input name="project" value={props.projectId} onChange={(e) => props.onProject(e.target.value)} />
        </label>
        <label>
          Kind{' '}
          <select name="kind" value={kind} onChange={(e) => setKind(e.target.value)}>
            <option value="render">render</option>
            <option value="preview">quick preview</option>
          </select>
        </label>
        <button type="submit">Render</button>
      </div>
      <textarea name="concept" aria-label="concept inputs" value={text} onChange={(e) => setText(e.target.value)} spellCheck={false} />
      {parseError && <p className="error">{parseError}</p>}
    </form>
  );
}

function JobCard({ jobId, projectId, onRetry }: { jobId: string; projectId: string; onRetry: (body: Record<string, unknown>) => void }) {
  const state = useRenderJob(client, jobId, { projectId });
  const job = state.job;
  const running = state.status === 'pending' || state.status === 'processing';
  const image = state.imageUrl ?? state.previewUrl;
  return (
    <article className="job" data-job-id={jobId} data-status={state.status} aria-label={`job ${jobId}`}>
      <div>
        <div className="row">
          <span className="status">{state.status}</span>
          <code>{jobId.slice(0, 12)}…</code>
          <span className="meta">{job?.kind}</span>
          {running && (
            <button type="button" onClick={() => void client.jobs.cancel(jobId, { projectId })}>
              Cancel
            </button>
          )}
          {job && !running && state.status !== 'completed' && (
            <button type="button" onClick={() => onRetry({ renderType: job.renderType, kind: job.kind, conceptInputs: job.conceptInputs })}>
              Retry
            </button>
          )}
        </div>
        <progress max={100} value={state.progress} aria-label="progress" aria-valuenow={state.progress} />
        <div className="meta">
          {state.progress}% · {job?.stage ?? '…'} {job?.message ? `· ${job.message}` : ''}
        </div>
        {state.queue?.position ? <div className="meta">#{state.queue.position} in queue{eta(state.queue.etaStartAt, 'starts')}</div> : null}
        {state.status === 'processing' && state.queue?.etaFinishAt ? <div className="meta">{eta(state.queue.etaFinishAt, 'done').slice(3)}</div> : null}
        {job?.error && <p className="error">{job.error}</p>}
        {state.error && <p className="error">{state.error.message}</p>}
        {job?.history && <History job={job} />}
      </div>
      {image ? <img src={image} alt={state.imageUrl ? 'rendered image' : 'preview'} data-kind={state.imageUrl ? 'result' : 'preview'} /> : <div />}
    </article>
  );
}

function History({ job }: { job: Job }) {
  return (
    <details>
      <summary>history</summary>
      <ul>
        {job.history!.map((h, i) => (
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

function eta(at: string | null, what: string): string {
  if (!at) return '';
  const s = Math.max(0, Math.round((Date.parse(at) - Date.now()) / 1000));
  return ` · ${what} in ~${s} s`;
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
