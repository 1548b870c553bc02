// Several workers on one store: a burst drained by three worker processes, against one worker with
// as many slots in the same run. What the three pay for sharing the queue: claims lost to each
// other (each nearly the requests of a won one), and the drain's time.
import type { JobDocument } from '../shared/job/document.js';
import { keys } from '../shared/store/keys.js';
import { type Proc, startWorker, stop } from '../scripts/processes.js';
import { pickTargets, readAll, seed, type Target } from './backlog-targets.js';
import { table } from './stats.js';
import { setTimeout as sleep } from 'node:timers/promises';

const JOBS = Number(process.env.WORKERS_JOBS ?? 300);
const RENDER_MS = Number(process.env.WORKERS_RENDER_MS ?? 200);
/** Slots of each of the several workers; the single worker has them all. */
const SLOTS = 8;
const SEVERAL = 3;

async function drainWith(target: Target, workers: number, label: string) {
  const env = {
    ...target.env,
    RENDERER: 'stub',
    RENDER_DELAY_MS: String(RENDER_MS),
    MAX_RUNNING: '0',
    MAX_RUNNING_PER_OWNER: '0',
    POLL_INTERVAL_MS: '200',
    WORKER_PACING: 'off',
  };
  target.latency?.(false);
  const made = await seed(target.direct, JOBS, () => 'none', label);
  target.latency?.(true);
  const started = Date.now();
  const procs: Proc[] = await Promise.all(
    Array.from({ length: workers }, (_, i) => startWorker({ ...env, WORKER_ID: `${label}-${i}`, WORKER_CONCURRENCY: String((SLOTS * SEVERAL) / workers) })),
  );
  // Drained when the queue folder is empty (a job's marker goes after its final write): one listing
  // a look. Reading every document instead was most of the real server's requests, and slowed it.
  for (const deadline = Date.now() + 10 * 60_000; Date.now() < deadline; await sleep(500)) {
    if ((await target.direct.list(keys.queueFolder, { limit: 1 })).items.length === 0) break;
  }
  const docs = await readAll(target.direct, made);
  const health = await Promise.all(procs.map(async (p) => (await (await fetch(`${p.url}/healthz`)).json()) as { lostClaims?: number }));
  await Promise.all(procs.map((p) => stop(p)));
  const done = docs.filter((d): d is JobDocument => d?.status === 'completed');
  const seconds = (Math.max(...done.map((d) => Date.parse(d.completedAt!))) - started) / 1000;
  const lost = health.reduce((a, h) => a + (h.lostClaims ?? 0), 0);
  return {
    store: target.name,
    workers: `${workers} × ${(SLOTS * SEVERAL) / workers}`,
    jobs: `${done.length}/${JOBS}`,
    'drain s': seconds.toFixed(1),
    'jobs/s': (done.length / seconds).toFixed(1),
    'lost claims/job': (lost / JOBS).toFixed(2),
    'twice run': done.filter((d) => d.attempts.length > 1).length,
  };
}

export async function workersBench(): Promise<void> {
  console.log(`== several workers: ${JOBS} jobs of ${RENDER_MS} ms, ${SEVERAL} workers × ${SLOTS} slots beside 1 × ${SLOTS * SEVERAL} ==`);
  const rows = [];
  for (const make of pickTargets(process.env.WORKERS_STORES ?? 'fs,standin,real')) {
    const target = await make();
    if (!target) continue;
    try {
      rows.push(await drainWith(target, 1, 'one'));
      if (!process.env.WORKERS_ONE_ONLY) rows.push(await drainWith(target, SEVERAL, 'several'));
    } finally {
      await target.cleanup();
    }
  }
  console.log(table(rows));
}
