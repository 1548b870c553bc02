// The Supabase store under the real processes: requests per job lifecycle, counted at the stand-in
// (served on loopback), and the slice's latencies with an artificial round trip added to every
// storage request, so the cost of each extra request shows.
import { setTimeout as sleep } from 'node:timers/promises';
import { parseJob } from '../shared/job/job-docs.js';
import type { JobDocument } from '../shared/job/document.js';
import { keys } from '../shared/store/keys.js';
import { startApiProcess, startWorker, stop } from '../scripts/processes.js';
import { servedSupabase } from '../test/helpers/stores.js';
import type { SupabaseStorageStandIn } from '../test/stand-ins/supabase-storage.js';
import { exampleBody, post } from './env.js';
import { summarize } from './stats.js';

function docOf(standIn: SupabaseStorageStandIn, ref: { projectId: string; jobId: string }): JobDocument | null {
  // Read straight from the stand-in's memory: the benchmark's own polling must not be counted.
  const key = keys.job(ref.projectId, ref.jobId);
  const file = standIn.file('render-jobs', key);
  return file ? parseJob(key, file.body) : null;
}

async function until(check: () => boolean, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('benchmark timed out waiting for jobs');
    await sleep(5);
  }
}

/** Storage requests per job: the create (API), then claim → completed (worker), and an idle worker's cost. */
export async function supabaseRequestsPerJob(opts: { jobs: number; renderMs: number; atomicCreate: boolean }) {
  const fx = await servedSupabase({ atomicCreate: opts.atomicCreate });
  const standIn = fx.standIn!;
  const env = { ...fx.env, RENDERER: 'stub', RENDER_DELAY_MS: String(opts.renderMs), CLAIM_SETTLE_MS: '100' };
  const api = await startApiProcess({ ...env, WORKER_URL: 'none' });
  const body = await exampleBody();
  const refs: Array<{ projectId: string; jobId: string }> = [];
  standIn.resetCounts();
  for (let i = 0; i < opts.jobs; i++) refs.push((await (await post(`${api.url}/api/jobs/render`, body)).json()) as { projectId: string; jobId: string });
  const create = { ...standIn.counts };
  await stop(api);

  standIn.resetCounts();
  const worker = await startWorker({ ...env, WORKER_CONCURRENCY: '4' });
  await until(() => refs.every((r) => docOf(standIn, r)?.status === 'completed'));
  const work = { ...standIn.counts };
  // What an idle worker costs: its poll loop lists the queue.
  standIn.resetCounts();
  await sleep(3_000);
  const idlePerSecond = standIn.totalRequests / 3;
  await stop(worker);
  await fx.cleanup();
  const per = (c: Record<string, number>) => Object.fromEntries(Object.entries(c).map(([k, v]) => [k, v / opts.jobs]));
  return { create: per(create), worker: per(work), idlePerSecond };
}

/** Create, pickup and completion latency with `rttMs` added to every storage request. */
export async function supabaseLatency(opts: { rttMs: number; jobs: number }) {
  const fx = await servedSupabase({ atomicCreate: true, latencyMs: opts.rttMs });
  const standIn = fx.standIn!;
  const env = { ...fx.env, RENDERER: 'stub', RENDER_DELAY_MS: '0', STORE_TIMEOUT_MS: '10000' };
  const worker = await startWorker(env);
  const api = await startApiProcess({ ...env, WORKER_URL: worker.url });
  const body = await exampleBody();
  const create: number[] = [];
  const pickup: number[] = [];
  const complete: number[] = [];
  const poll: number[] = [];
  for (let i = 0; i < opts.jobs; i++) {
    const t0 = performance.now();
    const ref = (await (await post(`${api.url}/api/jobs/render`, body)).json()) as { projectId: string; jobId: string };
    create.push(performance.now() - t0);
    await until(() => docOf(standIn, ref)?.status === 'completed', 60_000);
    const tDone = performance.now() - t0;
    const doc = docOf(standIn, ref)!;
    pickup.push(Date.parse(doc.startedAt!) - Date.parse(doc.createdAt));
    complete.push(tDone);
    const tp = performance.now();
    await (await fetch(`${api.url}/api/jobs/${ref.jobId}?projectId=${ref.projectId}`)).arrayBuffer();
    poll.push(performance.now() - tp);
  }
  await Promise.all([stop(api), stop(worker)]);
  await fx.cleanup();
  return { create: summarize(create), pickup: summarize(pickup), complete: summarize(complete), poll: summarize(poll) };
}
