// render-jobs render | status | list | cancel — the API from a terminal, through the client SDK.
// Exit codes: 0 done, 1 failed, 2 bad input, 3 cancelled, 4 timed out.
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { createClient, type CreateRequest, type Job, RenderJobsError } from '../client/index.js';
import { issueLines, issuesOf, pathText } from './issues.js';
import { progressReporter } from './progress.js';

export const EXIT = { done: 0, failed: 1, badInput: 2, cancelled: 3, timedOut: 4 } as const;

/** The example's project: what `status`, `list` and `cancel` use without --project or RENDER_JOBS_PROJECT. */
export const DEFAULT_PROJECT = 'demo-project';

export interface GlobalOptions {
  api: string;
  /** --project, else RENDER_JOBS_PROJECT. */
  project?: string;
  /** --project was given on the command line: it overrides the request file's projectId. */
  projectFromFlag?: boolean;
  json?: boolean;
}

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly code = 'cli_error',
  ) {
    super(message);
  }
}

/** The API refused the request file: its issues are shown against the file (a volume by its id). */
export class RefusedRequestError extends CliError {
  constructor(
    readonly refusal: RenderJobsError,
    readonly request: unknown,
  ) {
    super(refusal.message, exitForError(refusal), refusal.code);
  }
}

/** The project a command acts on. */
const projectOf = (g: GlobalOptions) => g.project ?? DEFAULT_PROJECT;

// RENDER_JOBS_TOKEN: the API key, or a Supabase access token, when the API asks for one.
const clientFor = (g: GlobalOptions) =>
  createClient({
    baseUrl: g.api,
    projectId: projectOf(g),
    ...(process.env.RENDER_JOBS_TOKEN ? { headers: { authorization: `Bearer ${process.env.RENDER_JOBS_TOKEN}` } } : {}),
  });

function exitFor(job: Job): number {
  return job.status === 'completed' ? EXIT.done : job.status === 'cancelled' ? EXIT.cancelled : EXIT.failed;
}

/** Bad requests are the user's input (2); everything else the API or the job (1). */
export function exitForError(err: unknown): number {
  if (err instanceof CliError) return err.exitCode;
  if (err instanceof RenderJobsError) {
    if (err.code === 'wait_timeout') return EXIT.timedOut;
    if (err.code === 'invalid_request') return EXIT.badInput; // refused before any request (a missing project id)
    return err.status !== null && err.status >= 400 && err.status < 500 && err.status !== 404 && err.status !== 429 ? EXIT.badInput : EXIT.failed;
  }
  return EXIT.failed;
}

export async function render(file: string, opts: GlobalOptions & { out?: string; wait: boolean; timeout: number; kind?: string }): Promise<number> {
  let request: Record<string, unknown>;
  try {
    request = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new CliError(`Cannot read ${file}: ${(err as Error).message}`, EXIT.badInput, 'bad_file');
  }
  // --project beats the file, the file beats RENDER_JOBS_PROJECT and the default.
  if (opts.projectFromFlag || !request.projectId) request.projectId = projectOf(opts);
  if (opts.kind) request.kind = opts.kind;
  const client = clientFor(opts);
  const created = await client.jobs.create(request as CreateRequest).catch((err: unknown) => {
    throw err instanceof RenderJobsError && err.details !== undefined ? new RefusedRequestError(err, request) : err;
  });
  if (!opts.wait && !created.job) {
    print(opts, created, `job ${created.jobId} created (${created.status}); render-jobs status ${created.jobId} --project ${created.projectId}`);
    return EXIT.done;
  }
  // On stderr, so that --json output stays clean: scripts and people can act on the id at once.
  process.stderr.write(`job ${created.jobId} created (project ${created.projectId})\n`);
  // Inline kinds (preview) answer finished: nothing to wait for, so no bar (and no timer) at all.
  const job = created.job ?? (await waitWithProgress(client, created, opts));
  let saved: string | null = null;
  if (job.status === 'completed' && job.imageUrl) {
    saved = path.resolve(opts.out ?? `${job.jobId}.${job.result?.contentType === 'image/jpeg' ? 'jpg' : 'png'}`);
    const res = await fetch(absolute(opts.api, job.imageUrl));
    if (!res.ok) throw new CliError(`The job completed but its image could not be fetched (HTTP ${res.status}).`, EXIT.failed);
    await writeFile(saved, Buffer.from(await res.arrayBuffer()));
  }
  print(
    opts,
    { ...job, savedTo: saved },
    job.status === 'completed'
      ? `completed in ${((job.result?.timings.totalMs ?? 0) / 1000).toFixed(1)} s: ${saved}`
      : `${job.status}: ${job.error ?? job.message ?? ''}`,
  );
  return exitFor(job);
}

async function waitWithProgress(
  client: ReturnType<typeof clientFor>,
  created: { jobId: string; projectId: string },
  opts: GlobalOptions & { timeout: number },
): Promise<Job> {
  const bar = opts.json ? null : progressReporter(process.stderr);
  try {
    return await client.jobs.wait(created.jobId, {
      projectId: created.projectId,
      maxWaitMs: opts.timeout * 1000,
      onProgress: (v) => bar?.update(v),
      onPreview: (url) => bar && process.stderr.write(`\npreview: ${absolute(opts.api, url)}\n`),
    });
  } finally {
    bar?.stop();
  }
}

export async function status(jobId: string, opts: GlobalOptions): Promise<number> {
  const view = await clientFor(opts).jobs.retrieve(jobId);
  const j = view.job;
  print(
    opts,
    view,
    `${j.jobId}  ${j.status}  ${j.progress}%  ${j.stage ?? ''}${view.queue?.position ? `  position ${view.queue.position}` : ''}${j.error ? `  ${j.error}` : ''}${j.imageUrl ? `  ${absolute(opts.api, j.imageUrl)}` : ''}`,
  );
  return j.status === 'failed' ? EXIT.failed : j.status === 'cancelled' ? EXIT.cancelled : EXIT.done;
}

export async function list(opts: GlobalOptions & { limit: number }): Promise<number> {
  const page = await clientFor(opts).jobs.list({ limit: opts.limit });
  print(
    opts,
    page,
    page.jobs.map((j) => `${j.jobId}  ${j.status.padEnd(10)} ${String(j.progress).padStart(3)}%  ${j.kind}  ${j.createdAt}`).join('\n') || 'no jobs',
  );
  return EXIT.done;
}

export async function cancel(jobId: string, opts: GlobalOptions): Promise<number> {
  const res = await clientFor(opts).jobs.cancel(jobId);
  print(opts, res, `${jobId}: ${res.job.status}${res.job.status === 'processing' ? ' (cancel requested; it stops within a heartbeat)' : ''}`);
  return EXIT.done;
}

/** An error as the user sees it: the message, each refused field on its own line; with --json, JSON on stdout. */
export function reportError(err: unknown, json: boolean | undefined): void {
  const e = err instanceof RefusedRequestError ? err.refusal : (err as Error & { code?: string; status?: number | null; details?: unknown });
  const request = err instanceof RefusedRequestError ? err.request : undefined;
  if (json) {
    const issues = issuesOf(e.details).map((i) => ({ ...i, at: pathText(i.path, request) }));
    const extra = issues.length ? { issues } : e.details !== undefined ? { details: e.details } : {};
    console.log(JSON.stringify({ error: { code: e.code ?? 'error', message: e.message, status: e.status ?? null, ...extra } }, null, 2));
    return;
  }
  console.error([`render-jobs: ${e.message}`, ...issueLines(e.details, request)].join('\n'));
}

function print(opts: GlobalOptions, data: unknown, text: string): void {
  console.log(opts.json ? JSON.stringify(data, null, 2) : text);
}

function absolute(api: string, url: string): string {
  return /^https?:\/\//.test(url) ? url : api.replace(/\/+$/, '') + url;
}
