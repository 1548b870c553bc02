// Load on loopback with autocannon: hundreds of clients polling job status while a steady stream
// of creates arrives, against the API and a worker as processes on the fs store. Reports latency
// percentiles, throughput and every error; bounded in time. `npm run bench -- --only load` runs it
// for a minute; test/load/load.test.ts runs it for seconds in CI.
import autocannon from 'autocannon';
import * as path from 'node:path';
import { startApiProcess, startWorker, stop } from '../scripts/processes.js';
import { benchDir, exampleBody, post } from './env.js';

export interface LoadOptions {
  seconds: number;
  pollers: number;
  createsPerSecond: number;
  /** How often each poller asks. */
  pollsPerClientPerSecond: number;
  /** Jobs created before the run, polled at random. */
  seedJobs: number;
}

export interface LoadSide {
  requests: number;
  perSecond: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  errors: number;
  timeouts: number;
  non2xx: number;
}

export interface LoadReport {
  polls: LoadSide;
  creates: LoadSide;
  jobsCreated: number;
  jobsCompletedAfter: number;
}

function side(r: autocannon.Result): LoadSide {
  return {
    requests: r.requests.total,
    perSecond: r.requests.average,
    p50: r.latency.p50,
    p90: r.latency.p90,
    p99: r.latency.p99,
    max: r.latency.max,
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
  };
}

/** One autocannon run as a promise, with a hook on every response. */
function cannon(opts: autocannon.Options, onResponse?: (status: number) => void): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(opts, (err, result) => (err ? reject(err) : resolve(result)));
    if (onResponse) instance.on('response', (_client, status) => onResponse(status));
  });
}

export async function runLoad(o: LoadOptions): Promise<LoadReport> {
  const tmp = await benchDir();
  const env = { JOBS_DIR: path.join(tmp.dir, 'jobs'), RENDERER: 'stub', RENDER_DELAY_MS: '1000', LOG_LEVEL: 'warn' };
  const worker = await startWorker({ ...env, WORKER_CONCURRENCY: '32' });
  const api = await startApiProcess({ ...env, WORKER_URL: worker.url });
  try {
    const body = await exampleBody('load');
    const ids: string[] = [];
    for (let i = 0; i < o.seedJobs; i++) {
      const res = await post(`${api.url}/api/jobs/render`, body);
      ids.push(((await res.json()) as { jobId: string }).jobId);
    }
    let created = 0;
    const polls = cannon({
      url: api.url,
      connections: o.pollers,
      // Each poller asks about once a second (the API's poll hint is 0.5–5 s): hundreds of clients,
      // not hundreds of tight loops.
      overallRate: Math.round(o.pollers * o.pollsPerClientPerSecond),
      duration: o.seconds,
      requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `/api/jobs/${ids[Math.floor(Math.random() * ids.length)]}?projectId=load` }) }],
    });
    const creates = cannon(
      {
        url: `${api.url}/api/jobs/render`,
        connections: Math.max(1, o.createsPerSecond),
        overallRate: o.createsPerSecond,
        duration: o.seconds,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      },
      (status) => status === 202 && created++,
    );
    const [p, c] = await Promise.all([polls, creates]);
    // The worker keeps up: count how many of the created jobs are done a few seconds later.
    await new Promise((r) => setTimeout(r, 3_000));
    const list = (await (await fetch(`${api.url}/api/jobs?projectId=load&limit=100`)).json()) as { jobs: Array<{ status: string }> };
    return {
      polls: side(p),
      creates: side(c),
      jobsCreated: created + o.seedJobs,
      jobsCompletedAfter: list.jobs.filter((j) => j.status === 'completed').length,
    };
  } finally {
    await Promise.all([stop(api), stop(worker)]);
    await tmp.cleanup();
  }
}
