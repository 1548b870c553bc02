// The dashboard: submit a concept, watch the project's jobs live (status, progress, queue position,
// ETA, previews, the image), cancel or retry them, page back through older ones. Built on the client
// SDK and useRenderJob; the project lives in the URL (#project=…), so a refresh picks everything up
// again. With auth on, it asks for an API key or access token and keeps it for the tab.
import { StrictMode, useCallback, useEffect, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import type { CreateRequest, Job, RenderJobsError } from '../client/index.js';
import example from '../examples/concept.json' with { type: 'json' };
import { ConceptForm } from './concept-form.js';
import { JobCard } from './job-card.js';
import { clientFor, storedToken, storeToken } from './session.js';
import { SignIn } from './sign-in.js';

/** Jobs per page, as the API's own default. */
const PAGE = 20;

interface Listed {
  jobId: string;
  conceptId: string;
  /** Null for a job created here until its first update arrives. */
  job: Job | null;
}

function projectFromHash(): string {
  return new URLSearchParams(location.hash.slice(1)).get('project') ?? (example as { projectId: string }).projectId;
}

function App() {
  const [token, setToken] = useState(storedToken);
  const client = useMemo(() => clientFor(token), [token]);
  const [projectId, setProjectId] = useState(projectFromHash);
  const [jobs, setJobs] = useState<Listed[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [signIn, setSignIn] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const onHash = () => setProjectId(projectFromHash());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);

  const failed = useCallback(
    (e: RenderJobsError) => {
      if (e.status === 401) {
        storeToken(null); // a refused token is not kept for the next reload
        setSignIn(token ? `Not accepted: ${e.message}` : '');
        return;
      }
      const details = Array.isArray(e.details)
        ? ` — ${(e.details as Array<{ path: unknown[]; message: string }>).map((d) => `${d.path.join('.')}: ${d.message}`).join('; ')}`
        : '';
      setError(`${e.message}${details}`);
    },
    [token],
  );

  const load = useCallback(
    async (cursor: string | null) => {
      try {
        const page = await client.jobs.list({ projectId, limit: PAGE, cursor });
        const listed = page.jobs.map((job) => ({ jobId: job.jobId, conceptId: job.conceptId, job }));
        setJobs((old) => (cursor ? [...old, ...listed.filter((l) => !old.some((o) => o.jobId === l.jobId))] : listed));
        setNext(page.next);
        setLoaded(true);
        setSignIn(null);
      } catch (e) {
        failed(e as RenderJobsError);
      }
    },
    [client, projectId, failed],
  );

  useEffect(() => {
    if (location.hash !== `#project=${encodeURIComponent(projectId)}`) location.hash = `project=${encodeURIComponent(projectId)}`;
    setJobs([]);
    setNext(null);
    setLoaded(false);
    setError(null);
    void load(null);
  }, [load, projectId]);

  const submit = useCallback(
    async (request: CreateRequest) => {
      setError(null);
      try {
        const created = await client.jobs.create({ ...request, projectId });
        setJobs((old) => [{ jobId: created.jobId, conceptId: created.conceptId, job: created.job ?? null }, ...old.filter((l) => l.jobId !== created.jobId)]);
      } catch (e) {
        failed(e as RenderJobsError);
      }
    },
    [client, projectId, failed],
  );

  // The same concept again: the job the retry makes keeps the concept's id, which is how the old
  // card (here, or after a reload) knows it was retried.
  const retry = useCallback(
    (job: Job) =>
      void submit({
        renderType: job.renderType,
        kind: job.kind,
        conceptId: job.conceptId,
        conceptInputs: job.conceptInputs,
        ...(job.kind === 'edit' ? { references: job.references } : {}),
      }),
    [submit],
  );

  const retriedAs = useMemo(() => {
    // Newest first: the nearest newer job of the same concept is the one that retried this one.
    const newer = new Map<string, string>();
    const out = new Map<string, string>();
    for (const l of jobs) {
      const by = newer.get(l.conceptId);
      if (by) out.set(l.jobId, by);
      newer.set(l.conceptId, l.jobId);
    }
    return out;
  }, [jobs]);

  const signOut = () => {
    storeToken(null);
    setToken(null);
  };

  if (signIn !== null) {
    return (
      <SignIn
        problem={signIn || null}
        onToken={(t) => {
          storeToken(t);
          setSignIn(null);
          setToken(t);
        }}
      />
    );
  }
  return (
    <>
      <header className="row">
        <h1>render-jobs</h1>
        {token && (
          <button type="button" onClick={signOut}>
            Sign out
          </button>
        )}
      </header>
      <ConceptForm projectId={projectId} onProject={setProjectId} onSubmit={submit} />
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {loaded && jobs.length === 0 && (
        <p className="empty" role="status">
          No jobs in project “{projectId}” yet. Submit the concept above to start one.
        </p>
      )}
      <section className="jobs" aria-label="jobs">
        {jobs.map((l) => (
          <JobCard
            key={l.jobId}
            client={client}
            token={token}
            projectId={projectId}
            jobId={l.jobId}
            listed={l.job}
            retriedAs={retriedAs.get(l.jobId) ?? null}
            onRetry={retry}
          />
        ))}
      </section>
      {next && (
        <button type="button" className="more" onClick={() => void load(next)}>
          Load more jobs
        </button>
      )}
    </>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
