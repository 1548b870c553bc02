// No-op jobs per second through one worker process: N jobs already queued, the worker started,
// timed from its first log line to its N-th "job completed".
import * as path from 'node:path';
import { pino } from 'pino';
import { RenderRequest } from '../shared/job/request.js';
import { enqueueJob } from '../shared/queue/enqueue.js';
import { DEFAULTS, loadConfig } from '../shared/config.js';
import { FsObjectStore } from '../shared/store/fs-store.js';
import { startWorker, stop } from '../scripts/processes.js';
import { benchDir, exampleBody } from './env.js';

export async function noopThroughput(opts: { jobs: number; concurrency: number }) {
  const tmp = await benchDir();
  const jobsDir = path.join(tmp.dir, 'jobs');
  const store = new FsObjectStore(jobsDir);
  const request = RenderRequest.parse(JSON.parse(await exampleBody()));
  const deps = { store, queue: loadConfig({}).queue, log: pino({ level: 'silent' }), now: Date.now };
  for (let i = 0; i < opts.jobs; i++) await enqueueJob(deps, request);

  const started = performance.now();
  const worker = await startWorker({ JOBS_DIR: jobsDir, RENDERER: 'stub', WORKER_CONCURRENCY: String(opts.concurrency) });
  const listening = performance.now();
  let done = 0;
  await worker.waitForLog((l) => l.msg?.toString().startsWith('job completed') === true && ++done >= opts.jobs, 300_000);
  const seconds = (performance.now() - listening) / 1000;
  const rssMb = Number(((await (await fetch(`${worker.url}/healthz`)).json()) as { rssMb?: number }).rssMb ?? NaN);
  await stop(worker);
  await tmp.cleanup();
  return { jobsPerSecond: opts.jobs / seconds, seconds, startupMs: listening - started, rssMb, pollIntervalMs: DEFAULTS.POLL_INTERVAL_MS };
}
