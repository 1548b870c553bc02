// Create latency (client-side, real HTTP to the API process) and pickup latency (created →
// processing, from the job's own timestamps), with the worker poked and with its poll loop alone.
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readJob } from '../shared/job/job-docs.js';
import { FsObjectStore } from '../shared/store/fs-store.js';
import { startApiProcess, startWorker, stop } from '../scripts/processes.js';
import { benchDir, exampleBody, post } from './env.js';
import { summarize } from './stats.js';

export async function createLatency(opts: { requests: number; inFlight: number }) {
  const tmp = await benchDir();
  const env = { JOBS_DIR: path.join(tmp.dir, 'jobs'), RENDERER: 'stub' };
  const worker = await startWorker({ ...env, WORKER_CONCURRENCY: '16' });
  const api = await startApiProcess({ ...env, WORKER_URL: worker.url });
  const body = await exampleBody();
  for (let i = 0; i < 20; i++) await post(`${api.url}/api/jobs/render`, body); // warm-up
  const times: number[] = [];
  let next = 0;
  const startedAll = performance.now();
  await Promise.all(
    Array.from({ length: opts.inFlight }, async () => {
      while (next++ < opts.requests) {
        const t = performance.now();
        const res = await post(`${api.url}/api/jobs/render`, body);
        await res.arrayBuffer();
        if (res.status !== 202) throw new Error(`create answered ${res.status}`);
        times.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - startedAll) / 1000;
  await Promise.all([stop(api), stop(worker)]);
  await tmp.cleanup();
  return { ...summarize(times), perSecond: times.length / seconds };
}

export async function pickupLatency(opts: { jobs: number; poke: boolean; pollIntervalMs: number }) {
  const tmp = await benchDir();
  const jobsDir = path.join(tmp.dir, 'jobs');
  const store = new FsObjectStore(jobsDir);
  const env = { JOBS_DIR: jobsDir, RENDERER: 'stub', POLL_INTERVAL_MS: String(opts.pollIntervalMs) };
  const worker = await startWorker(env);
  const api = await startApiProcess({ ...env, WORKER_URL: opts.poke ? worker.url : 'none' });
  const body = await exampleBody();
  const pickups: number[] = [];
  for (let i = 0; i < opts.jobs; i++) {
    // Random spacing, so jobs do not line up with the worker's poll cycle.
    await sleep(Math.random() * opts.pollIntervalMs);
    const created = (await (await post(`${api.url}/api/jobs/render`, body)).json()) as { jobId: string; projectId: string };
    for (;;) {
      const doc = await readJob(store, created.projectId, created.jobId);
      if (doc?.startedAt) {
        pickups.push(Date.parse(doc.startedAt) - Date.parse(doc.createdAt));
        break;
      }
      await sleep(5);
    }
  }
  await Promise.all([stop(api), stop(worker)]);
  await tmp.cleanup();
  return summarize(pickups);
}
