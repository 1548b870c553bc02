// What a backlog costs: with 0 … 20,000 jobs waiting behind one owner's cap, one worker's idle
// storage requests a second, how soon a poked (and an un-poked) job of another owner starts, how
// soon a restarted worker claims, and what a status poll of a waiting job costs. On the fs store, on
// the Supabase stand-in with 40 ms added to every request, and on the real Supabase Storage server
// when SUPABASE_URL is set. The waiting jobs are real: enqueued through the queue, their owner's one
// slot held by a live claim.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { loadConfig } from '../shared/config.js';
import type { JobDocument } from '../shared/job/document.js';
import { readJob } from '../shared/job/job-docs.js';
import type { RenderRequest } from '../shared/job/request.js';
import { startMetricsPublisher } from '../shared/metrics/publish.js';
import { RecentOutcomes } from '../shared/metrics/recent.js';
import { StubRenderer } from '../shared/providers/stub.js';
import { claimJob } from '../shared/queue/claim.js';
import type { QueueDeps } from '../shared/queue/deps.js';
import { enqueueJob } from '../shared/queue/enqueue.js';
import { CountingStore } from '../shared/store/counting-store.js';
import { FsObjectStore } from '../shared/store/fs-store.js';
import type { ObjectStore } from '../shared/store/object-store.js';
import { SupabaseObjectStore } from '../shared/store/supabase-store.js';
import { viewJob } from '../shared/use-cases/view-job.js';
import { ClaimLoop } from '../worker/claim-loop.js';
import { smallRequest } from '../test/helpers/concept.js';
import { PrefixedStore } from '../test/helpers/prefixed-store.js';
import { servedSupabase } from '../test/helpers/stores.js';
import { benchDir } from './env.js';
import { ms, summarize, table } from './stats.js';

const log = pino({ level: 'silent' });
const POLL_MS = 1000;
/** A little more than the overlap each listing re-reads (worker/queue-view.ts). */
const SETTLED_MS = 6_000;

function request(projectId: string): RenderRequest {
  return smallRequest(projectId);
}

function depsOf(store: ObjectStore): QueueDeps {
  const config = loadConfig({ NODE_ENV: 'test', MAX_RUNNING: '0', MAX_RUNNING_PER_OWNER: '1', POLL_INTERVAL_MS: String(POLL_MS), WORKER_CONCURRENCY: '4' });
  return { store, queue: config.queue, log, now: Date.now };
}

interface Target {
  name: string;
  store: ObjectStore;
  /** Storage latency off while seeding, on while measuring. */
  latency?(on: boolean): void;
  cleanup(): Promise<void>;
}

async function fsTarget(): Promise<Target> {
  const tmp = await benchDir();
  return { name: 'fs', store: new FsObjectStore(tmp.dir), cleanup: tmp.cleanup };
}

async function standInTarget(): Promise<Target> {
  const served = await servedSupabase({ atomicCreate: true });
  return {
    name: 'supabase stand-in, 40 ms',
    store: served.store,
    latency: (on) => void (served.standIn!.latencyMs = on ? 40 : 0),
    cleanup: served.cleanup,
  };
}

async function realTarget(): Promise<Target | null> {
  const url = process.env.SUPABASE_URL;
  const key = process.env.SUPABASE_SERVICE_ROLE_KEY;
  if (!url || !key) return null;
  const inner = new SupabaseObjectStore({
    url,
    serviceRoleKey: key,
    bucket: 'render-jobs',
    assetsBucket: 'render-assets',
    atomicCreate: false,
    requestTimeoutMs: 10_000,
    retries: 3,
  });
  const store = new PrefixedStore(inner, `bench-backlog/${randomUUID().slice(0, 8)}/`);
  return { name: 'real Supabase Storage', store, cleanup: () => store.destroy() };
}

async function waitFor(store: ObjectStore, job: JobDocument, done: (d: JobDocument) => boolean, timeoutMs = 60_000): Promise<JobDocument> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const doc = await readJob(store, job.projectId, job.jobId);
    if (doc && done(doc)) return doc;
    if (Date.now() > deadline) throw new Error(`job ${job.jobId} not started within ${timeoutMs} ms`);
    await sleep(10);
  }
}

const startedAfterCreate = (d: JobDocument) => Date.parse(d.attempts[0]!.startedAt) - Date.parse(d.createdAt);
const opsOf = (s: CountingStore) => Object.values(s.counts).reduce((a, b) => a + b, 0);
function resetCounts(s: CountingStore) {
  for (const k of Object.keys(s.counts) as Array<keyof CountingStore['counts']>) s.counts[k] = 0;
}

async function measure(target: Target, waiting: number, opts: { idleSeconds: number; pokes: number }) {
  const raw = target.store;
  const seed = depsOf(raw);
  target.latency?.(false);
  // The capped owner's one slot, held by a live claim that keeps its lease.
  const holding = await enqueueJob(seed, request('hog'), { ownerId: 'hog' });
  const held = await claimJob(seed, holding, { workerId: 'holder' });
  if (held.kind !== 'run') throw new Error(`could not hold the slot: ${held.kind}`);
  const beat = setInterval(() => void held.holder.heartbeat().catch(() => undefined), 2_000);
  for (let done = 0; done < waiting; ) {
    // Small batches off the local disk: a served stand-in or a real server times out under 200 at once.
    const batch = Math.min(target.name === 'fs' ? 200 : 25, waiting - done);
    await Promise.all(Array.from({ length: batch }, () => enqueueJob(seed, request('hog'), { ownerId: 'hog' })));
    done += batch;
  }
  const lastHog = await enqueueJob(seed, request('hog'), { ownerId: 'hog' });
  // A claimable job of another owner, behind everything: how soon does a (re)started worker get to it?
  const first = await enqueueJob(seed, request('guest'), { ownerId: 'guest' });
  target.latency?.(true);
  // Waiting jobs have waited: past the few seconds every look at the queue re-reads (for clocks that
  // lag), the backlog is what it is in steady state, not a burst still arriving.
  await sleep(SETTLED_MS);

  const counting = new CountingStore(raw);
  const deps = { ...depsOf(counting) };
  const loop = new ClaimLoop(deps, { workerId: 'bench', concurrency: 4, provider: new StubRenderer({ delayMs: 50 }) });
  const recent = new RecentOutcomes();
  const metrics = startMetricsPublisher(
    { ...deps, store: raw },
    { workerId: 'bench', concurrency: 4, active: () => loop.activeCount, recent, pendingTimes: () => loop.pendingTimes() },
  );
  const startedAt = Date.now();
  loop.start();
  await waitFor(raw, first, (d) => d.status !== 'pending');
  const restartMs = Date.now() - startedAt;
  await waitFor(raw, first, (d) => d.status === 'completed');
  await metrics.publish();

  // Idle: nothing claimable, the backlog capped.
  await sleep(2 * POLL_MS);
  resetCounts(counting);
  const idleFrom = Date.now();
  await sleep(opts.idleSeconds * 1000);
  const idlePerSecond = opsOf(counting) / ((Date.now() - idleFrom) / 1000);
  if (process.env.BACKLOG_DEBUG) console.log('idle ops', JSON.stringify(counting.counts));

  const poked: number[] = [];
  for (let i = 0; i < opts.pokes; i++) {
    const job = await enqueueJob(seed, request('guest'), { ownerId: 'guest' });
    loop.poke(job);
    poked.push(startedAfterCreate(await waitFor(raw, job, (d) => d.status !== 'pending')));
    await waitFor(raw, job, (d) => d.status === 'completed');
  }
  const unpoked: number[] = [];
  for (let i = 0; i < 3; i++) {
    const job = await enqueueJob(seed, request('guest'), { ownerId: 'guest' });
    unpoked.push(startedAfterCreate(await waitFor(raw, job, (d) => d.status !== 'pending')));
    await waitFor(raw, job, (d) => d.status === 'completed');
  }

  // A status poll of the newest waiting job, as the API answers it (its own store, counted).
  await metrics.publish();
  const apiStore = new CountingStore(raw);
  const config = loadConfig({ NODE_ENV: 'test' });
  const ctx = { config, store: apiStore, log, queue: { ...depsOf(apiStore) } };
  const polls: number[] = [];
  let position = 0;
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    const view = await viewJob(ctx, { kind: 'service' }, lastHog);
    polls.push(performance.now() - t);
    position = view.outlook?.position ?? 0;
  }
  const pollRequests = opsOf(apiStore) / polls.length;
  if (process.env.BACKLOG_DEBUG) {
    const { readQueueState } = await import('../shared/metrics/read.js');
    const st = await readQueueState(raw, Date.now());
    console.log('debug', JSON.stringify(apiStore.counts), st.view ? { at: st.view.at, n: st.view.due.length } : null, lastHog.runAfter);
  }

  await loop.stop(1_000);
  await metrics.stop();
  clearInterval(beat);
  return { restartMs, idlePerSecond, poked: summarize(poked), unpoked: summarize(unpoked), poll: summarize(polls), pollRequests, position };
}

/**
 * A burst of `jobs` from four owners — one sends half first, then three others — drained by one
 * worker (concurrency 50, no caps, 20 ms renders): how long, how fast, whether each owner's jobs
 * started in creation order, and when the three others' jobs began and finished starting (in creation
 * order alone they would wait for the whole first half; taking turns, they start at once).
 */
async function drain(target: Target, jobs: number) {
  const seed = depsOf(target.store);
  const owners = ['big', 'a', 'b', 'c'];
  const made: JobDocument[] = [];
  // The big owner's half first, then the three others': in creation order alone they would wait for all of it.
  const ownerOf = (i: number) => (i < jobs / 2 ? 'big' : owners[1 + (i % 3)]!);
  for (let done = 0; done < jobs; ) {
    const batch = Math.min(200, jobs - done);
    made.push(...(await Promise.all(Array.from({ length: batch }, (_, i) => enqueueJob(seed, request('burst'), { ownerId: ownerOf(done + i) })))));
    done += batch;
  }
  const config = loadConfig({ NODE_ENV: 'test', MAX_RUNNING: '0', MAX_RUNNING_PER_OWNER: '0', POLL_INTERVAL_MS: String(POLL_MS) });
  const loop = new ClaimLoop(
    { store: target.store, queue: config.queue, log, now: Date.now },
    { workerId: 'drain', concurrency: 50, provider: new StubRenderer({ delayMs: 20 }) },
  );
  const started = Date.now();
  loop.start();
  const last = made.at(-1)!;
  await waitFor(target.store, last, (d) => d.status === 'completed', 30 * 60_000);
  for (const job of made) await waitFor(target.store, job, (d) => d.status === 'completed', 60_000);
  const seconds = (Date.now() - started) / 1000;
  await loop.stop(1_000);
  const docs = await Promise.all(made.map((j) => readJob(target.store, j.projectId, j.jobId)));
  const starts = docs.map((d) => ({ owner: d!.ownerId!, created: d!.createdAt, started: Date.parse(d!.attempts[0]!.startedAt), attempts: d!.attempts.length }));
  // In creation order per owner: started times never go backwards by more than a claim's spread.
  let outOfOrder = 0;
  for (const owner of owners) {
    const mine = starts.filter((x) => x.owner === owner);
    for (let i = 1; i < mine.length; i++) if (mine[i]!.started + 1_000 < mine[i - 1]!.started) outOfOrder++;
  }
  // Fairness: when the three others' first and last jobs started, as a share of the drain.
  const others = starts.filter((x) => x.owner !== 'big');
  const share = (ms: number) => Math.round(((ms - started) / (seconds * 1000)) * 100);
  const othersFirstPct = share(Math.min(...others.map((x) => x.started)));
  const othersLastPct = share(Math.max(...others.map((x) => x.started)));
  return { seconds, jobsPerSecond: jobs / seconds, outOfOrder, othersFirstPct, othersLastPct, onceEach: starts.every((x) => x.attempts === 1) };
}

export async function backlogBench(quick: boolean): Promise<void> {
  console.log("## Backlog: jobs waiting behind one owner's cap (one worker, concurrency 4, poll 1 s)\n");
  const sizes = process.env.BACKLOG_SIZES ? process.env.BACKLOG_SIZES.split(',').map(Number) : quick ? [0, 1_000, 5_000] : [0, 1_000, 5_000, 20_000];
  const all: Record<string, () => Promise<Target | null>> = { fs: fsTarget, standin: standInTarget, real: realTarget };
  const makers = (process.env.BACKLOG_STORES ?? 'fs,standin,real').split(',').map((n) => all[n]!);
  const rows: Array<Record<string, string | number>> = [];
  if (process.env.BACKLOG_SKIP) makers.length = 0;
  for (const make of makers) {
    for (const waiting of sizes) {
      const target = await make();
      if (!target) break;
      // The real server and the 40 ms stand-in take long to seed 20,000: they stop at 5,000.
      if (target.name !== 'fs' && waiting > 5_000) {
        await target.cleanup();
        continue;
      }
      try {
        const r = await measure(target, waiting, { idleSeconds: quick ? 10 : 30, pokes: quick ? 5 : 10 });
        rows.push({
          store: target.name,
          waiting,
          'idle req/s': r.idlePerSecond.toFixed(2),
          'poked p50/p99': `${ms(r.poked.p50)} / ${ms(r.poked.p99)}`,
          'un-poked p50': ms(r.unpoked.p50),
          'restart → claim': ms(r.restartMs),
          'status poll p50': ms(r.poll.p50),
          'req/poll': r.pollRequests.toFixed(2),
          position: r.position,
        });
        console.log(table(rows.slice(-1)));
      } finally {
        await target.cleanup();
      }
    }
  }
  console.log('\n' + table(rows) + '\n');

  console.log('## Draining a burst (one worker, concurrency 50, no caps, 20 ms renders; four owners, one sending half)\n');
  const drains: Array<Record<string, string | number>> = [];
  for (const jobs of process.env.DRAIN_SIZES ? process.env.DRAIN_SIZES.split(',').map(Number) : quick ? [1_000] : [1_000, 5_000]) {
    const target = await fsTarget();
    try {
      const r = await drain(target, jobs);
      drains.push({
        store: target.name,
        jobs,
        seconds: r.seconds.toFixed(1),
        'jobs/s': r.jobsPerSecond.toFixed(1),
        'out of creation order': r.outOfOrder,
        'others start / done at (% of drain)': `${r.othersFirstPct}% / ${r.othersLastPct}%`,
        'each once': String(r.onceEach),
      });
      console.log(table(drains.slice(-1)));
    } finally {
      await target.cleanup();
    }
  }
  console.log('\n' + table(drains) + '\n');
}
