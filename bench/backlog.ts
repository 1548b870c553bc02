// What a backlog costs: with 0 … 20,000 jobs waiting behind one owner's cap, one worker's idle
// storage requests a second, how soon a poked (and an un-poked) job of another owner starts, how
// soon a restarted worker claims, and what a status poll of a waiting job costs. On the fs store, on
// the Supabase stand-in with 40 ms added to every request, and on the real Supabase Storage server
// when SUPABASE_URL is set. The waiting jobs are real: created as the API creates them (enqueueJob),
// many in flight, their owner's one slot held by a live claim; one backlog per store, grown between
// sizes. Then a burst drained by one worker, on any of the stores.
//
// Env: BACKLOG_STORES (fs,standin,real), BACKLOG_SIZES, BACKLOG_IDLE_S (the idle window, 60 s),
// BACKLOG_SKIP, DRAIN_STORES (fs), DRAIN_SIZES, SEED_IN_FLIGHT (48), BACKLOG_DEBUG.
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
import { processStoreFactory, servedSupabase } from '../test/helpers/stores.js';
import { SERVICE_ROLE_KEY } from '../test/stand-ins/supabase-storage.js';
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
  /** The store the worker and the API use: what is measured. */
  store: ObjectStore;
  /**
   * The same objects, reached with fewer hops where that is possible (the stand-in's handler called
   * in-process rather than over loopback HTTP): for seeding thousands of jobs and for the bench's
   * own reads, neither of which is measured.
   */
  direct: ObjectStore;
  /** What `direct` is, where it is not `store`. */
  directName?: string;
  /** Storage latency off while seeding, on while measuring. */
  latency?(on: boolean): void;
  cleanup(): Promise<void>;
}

async function fsTarget(): Promise<Target> {
  const tmp = await benchDir();
  const store = new FsObjectStore(tmp.dir);
  return { name: 'fs', store, direct: store, cleanup: tmp.cleanup };
}

async function standInTarget(): Promise<Target> {
  const served = await servedSupabase({ atomicCreate: true });
  const standIn = served.standIn!;
  const direct = new SupabaseObjectStore({
    url: standIn.origin,
    serviceRoleKey: SERVICE_ROLE_KEY,
    bucket: 'render-jobs',
    assetsBucket: 'render-assets',
    atomicCreate: standIn.atomicCreate,
    // As the served store (test/helpers/stores.ts servedSupabase).
    requestTimeoutMs: 2_000,
    retries: 3,
    retryBaseMs: 5,
    // The stand-in's own handler, as msw would call it in a test: the same routes and state, without
    // loopback HTTP and msw's matching (most of a request's CPU in this process).
    fetch: async (input, init) => (await standIn.handle(new Request(input, init))) ?? new Response(null, { status: 404 }),
  });
  return {
    name: 'supabase stand-in, 40 ms',
    directName: 'supabase stand-in in-process, 40 ms',
    store: served.store,
    direct,
    latency: (on) => void (standIn.latencyMs = on ? 40 : 0),
    cleanup: served.cleanup,
  };
}

async function realTarget(): Promise<Target | null> {
  if (!process.env.SUPABASE_URL || !process.env.SUPABASE_SERVICE_ROLE_KEY) return null;
  // A fresh pair of buckets (as the real-server suites use): nothing else in the listings, and
  // emptied by the server in one request afterwards instead of 60,000 deletes.
  const fx = await processStoreFactory('supabase-real')();
  return { name: 'real Supabase Storage', store: fx.store, direct: fx.store, cleanup: fx.cleanup };
}

/** Creates in flight at once while seeding: a server answers each in tens of ms, so one at a time is minutes. */
const SEED_IN_FLIGHT = Number(process.env.SEED_IN_FLIGHT ?? 48);

/**
 * `count` jobs created as the API creates them (enqueueJob: marker and owner entry, then the
 * document), `SEED_IN_FLIGHT` at a time. Returned in creation order: each create takes its time and
 * id before its first await, so call order is creation order.
 */
async function seed(store: ObjectStore, count: number, ownerOf: (i: number) => string, projectId = 'hog'): Promise<JobDocument[]> {
  const deps = depsOf(store);
  const made = new Array<JobDocument>(count);
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < count; i = next++) made[i] = await enqueueJob(deps, request(projectId), { ownerId: ownerOf(i) });
  };
  await Promise.all(Array.from({ length: Math.min(SEED_IN_FLIGHT, count) }, lane));
  return made;
}

/** Reads every job's document, a bounded number at a time (20,000 at once would time out on a server). */
async function readAll(store: ObjectStore, jobs: JobDocument[]): Promise<Array<JobDocument | null>> {
  const docs = new Array<JobDocument | null>(jobs.length);
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < jobs.length; i = next++) docs[i] = await readJob(store, jobs[i]!.projectId, jobs[i]!.jobId);
  };
  await Promise.all(Array.from({ length: Math.min(SEED_IN_FLIGHT, jobs.length) }, lane));
  return docs;
}

async function waitFor(store: ObjectStore, job: JobDocument, done: (d: JobDocument) => boolean, timeoutMs = 60_000, everyMs = 10): Promise<JobDocument> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const doc = await readJob(store, job.projectId, job.jobId);
    if (doc && done(doc)) return doc;
    if (Date.now() > deadline) throw new Error(`job ${job.jobId} not started within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

/** Debugging: requests by operation and the key's first folder. */
function tallied(store: ObjectStore, tally: Record<string, number>): ObjectStore {
  const t = Object.create(store) as ObjectStore;
  for (const op of ['get', 'put', 'delete', 'list'] as const) {
    const inner = store[op].bind(store) as (key: string, ...rest: unknown[]) => Promise<unknown>;
    (t as unknown as Record<string, unknown>)[op] = (key: string, ...rest: unknown[]) => {
      const name = `${op} ${key.split('/')[0]}`;
      tally[name] = (tally[name] ?? 0) + 1;
      return inner(key, ...rest);
    };
  }
  return t;
}

const startedAfterCreate = (d: JobDocument) => Date.parse(d.attempts[0]!.startedAt) - Date.parse(d.createdAt);
const opsOf = (s: CountingStore) => Object.values(s.counts).reduce((a, b) => a + b, 0);
function resetCounts(s: CountingStore) {
  for (const k of Object.keys(s.counts) as Array<keyof CountingStore['counts']>) s.counts[k] = 0;
}

/**
 * One target, the sizes in ascending order: one backlog grown between measurements (seeding only
 * the difference), behind the capped owner's one slot, held by a live claim that keeps its lease.
 */
async function backlogOn(
  target: Target,
  sizes: number[],
  opts: { idleSeconds: number; pokes: number },
  report: (row: Record<string, string | number>) => void,
) {
  const seedDeps = depsOf(target.direct);
  target.latency?.(false);
  const holding = await enqueueJob(seedDeps, request('hog'), { ownerId: 'hog' });
  // A long lease: seeding 20,000 keeps this process so busy that a heartbeat can miss a default
  // lease's slack, and a lost hold frees the capped owner's slot (its jobs would run while "idle").
  const holdDeps = { ...seedDeps, queue: { ...seedDeps.queue, leaseMs: 10 * 60_000 } };
  const held = await claimJob(holdDeps, holding, { workerId: 'holder' });
  if (held.kind !== 'run') throw new Error(`could not hold the slot: ${held.kind}`);
  const beat = setInterval(() => void held.holder.heartbeat().catch(() => undefined), 2_000);
  let waiting = 0;
  try {
    for (const size of [...sizes].sort((x, y) => x - y)) {
      target.latency?.(false);
      const t = Date.now();
      await seed(target.direct, Math.max(0, size - waiting), () => 'hog');
      const seedSeconds = (Date.now() - t) / 1000;
      waiting = Math.max(waiting, size);
      // The newest waiting job: its status poll is the one measured.
      const lastHog = await enqueueJob(seedDeps, request('hog'), { ownerId: 'hog' });
      waiting++;
      const holdNow = await readJob(target.direct, holding.projectId, holding.jobId);
      if (holdNow?.status !== 'processing' || Date.parse(holdNow.leaseExpiresAt ?? '') < Date.now())
        throw new Error("the capped owner's slot is no longer held");
      const r = await measure(target, lastHog, opts);
      report({
        store: target.name,
        waiting: size,
        'seeded in': `${seedSeconds.toFixed(0)} s`,
        'idle req/s': r.idlePerSecond.toFixed(2),
        'poked p50/p99': `${ms(r.poked.p50)} / ${ms(r.poked.p99)}`,
        'un-poked p50/max': `${ms(r.unpoked.p50)} / ${ms(r.unpoked.max)}`,
        'restart → claim': ms(r.restartMs),
        'status poll p50': ms(r.poll.p50),
        'req/poll': r.pollRequests.toFixed(2),
        position: r.position,
      });
    }
  } finally {
    clearInterval(beat);
  }
}

async function measure(target: Target, lastHog: JobDocument, opts: { idleSeconds: number; pokes: number }) {
  const raw = target.store;
  const seed = depsOf(raw);
  // A claimable job of another owner, behind everything: how soon does a (re)started worker get to it?
  const first = await enqueueJob(depsOf(target.direct), request('guest'), { ownerId: 'guest' });
  target.latency?.(true);
  // Waiting jobs have waited: past the few seconds every look at the queue re-reads (for clocks that
  // lag), the backlog is what it is in steady state, not a burst still arriving.
  await sleep(SETTLED_MS);

  const tally: Record<string, number> = {};
  const counting = new CountingStore(process.env.BACKLOG_DEBUG ? tallied(raw, tally) : raw);
  const deps = { ...depsOf(counting) };
  const loop = new ClaimLoop(deps, { workerId: 'bench', concurrency: 4, provider: new StubRenderer({ delayMs: 50 }) });
  const recent = new RecentOutcomes();
  const metrics = startMetricsPublisher(
    { ...deps, store: raw },
    { workerId: 'bench', concurrency: 4, active: () => loop.activeCount, recent, pendingTimes: () => loop.pendingTimes() },
  );
  // The bench's own reads go the short way (not counted, and on the stand-in not loading this process).
  const look = target.direct;
  const startedAt = Date.now();
  loop.start();
  await waitFor(look, first, (d) => d.status !== 'pending');
  const restartMs = Date.now() - startedAt;
  await waitFor(look, first, (d) => d.status === 'completed');
  await metrics.publish();

  // Idle: nothing claimable, the backlog capped.
  await sleep(2 * POLL_MS);
  resetCounts(counting);
  for (const k of Object.keys(tally)) delete tally[k];
  const idleFrom = Date.now();
  await sleep(opts.idleSeconds * 1000);
  const idlePerSecond = opsOf(counting) / ((Date.now() - idleFrom) / 1000);
  if (process.env.BACKLOG_DEBUG) console.log('idle ops', JSON.stringify(counting.counts), 'view', loop.pendingTimes().length, JSON.stringify(tally));

  // Each measured job has an owner of its own: created the moment the one before completed, a job
  // of the same owner (cap 1) could find that one's slot not yet released and wait for a second
  // claim, whatever the backlog (a hand-off the claim loop retries, not what is measured here).
  let guests = 0;
  const guest = () => `guest${++guests}`;
  const poked: number[] = [];
  for (let i = 0; i < opts.pokes; i++) {
    const job = await enqueueJob(seed, request('guest'), { ownerId: guest() });
    loop.poke(job);
    poked.push(startedAfterCreate(await waitFor(look, job, (d) => d.status !== 'pending')));
    await waitFor(look, job, (d) => d.status === 'completed');
  }
  const unpoked: number[] = [];
  for (let i = 0; i < 5; i++) {
    const job = await enqueueJob(seed, request('guest'), { ownerId: guest() });
    unpoked.push(startedAfterCreate(await waitFor(look, job, (d) => d.status !== 'pending')));
    await waitFor(look, job, (d) => d.status === 'completed');
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
  return { restartMs, idlePerSecond, poked: summarize(poked), unpoked: summarize(unpoked), poll: summarize(polls), pollRequests, position };
}

/**
 * A burst of `jobs` from four owners — one sends half first, then three others — drained by one
 * worker (concurrency 50, no caps, 20 ms renders): how long, how fast, whether each owner's jobs
 * started in creation order, and when the three others' jobs began and finished starting (in creation
 * order alone they would wait for the whole first half; taking turns, they start at once).
 */
async function drain(target: Target, jobs: number) {
  const owners = ['big', 'a', 'b', 'c'];
  // The big owner's half first, then the three others': in creation order alone they would wait for all of it.
  const ownerOf = (i: number) => (i < jobs / 2 ? 'big' : owners[1 + (i % 3)]!);
  target.latency?.(false);
  const seedFrom = Date.now();
  const made = await seed(target.direct, jobs, ownerOf, 'burst');
  const seedSeconds = (Date.now() - seedFrom) / 1000;
  target.latency?.(true);
  const config = loadConfig({ NODE_ENV: 'test', MAX_RUNNING: '0', MAX_RUNNING_PER_OWNER: '0', POLL_INTERVAL_MS: String(POLL_MS) });
  // The short way to the store where there is one: a drain is thousands of job lifecycles, and
  // over loopback HTTP the stand-in and its client in this one process starve each other of CPU
  // (requests time out, leases are lost) long before the worker's own cost shows.
  const loop = new ClaimLoop(
    { store: target.direct, queue: config.queue, log, now: Date.now },
    { workerId: 'drain', concurrency: 50, provider: new StubRenderer({ delayMs: 20 }) },
  );
  const started = Date.now();
  loop.start();
  // The newest job done, then every one (the bench's look costs the worker nothing, so rarely).
  await waitFor(target.direct, made.at(-1)!, (d) => d.status === 'completed', 60 * 60_000, 500);
  let docs = await readAll(target.direct, made);
  for (const deadline = Date.now() + 120_000; docs.some((d) => d?.status !== 'completed') && Date.now() < deadline; ) {
    await sleep(1_000);
    docs = await readAll(target.direct, made);
  }
  await loop.stop(1_000);
  const unfinished = docs.filter((d) => d?.status !== 'completed').length;
  if (process.env.BACKLOG_DEBUG) {
    // What kept jobs from finishing, or made them run more than once: counted by outcome and error.
    const tally = (xs: string[]) => Object.entries(xs.reduce<Record<string, number>>((t, x) => ((t[x] = (t[x] ?? 0) + 1), t), {})).sort((x, y) => y[1] - x[1]);
    console.log(
      'unfinished',
      JSON.stringify(tally(docs.filter((d) => d?.status !== 'completed').map((d) => `${d?.status} ${d?.errorCode ?? ''} ${d?.history.at(-1)?.type ?? ''}`))),
    );
    const again = docs.flatMap((d) => (d && d.attempts.length > 1 ? d.attempts.slice(0, -1) : []));
    console.log(
      'attempts before the last',
      JSON.stringify(tally(again.map((x) => `${x.outcome}: ${(x.error ?? '').replace(/[0-9a-z]{30,}/g, '…').slice(0, 120)}`)).slice(0, 8)),
    );
  }
  const done = docs.filter((d): d is JobDocument => d?.status === 'completed');
  // From the documents, not from when the bench looked: the last job's completion.
  const seconds = (Math.max(...done.map((d) => Date.parse(d.completedAt!))) - started) / 1000;
  const starts = done.map((d) => ({ owner: d.ownerId!, started: Date.parse(d.attempts[0]!.startedAt), attempts: d.attempts.length }));
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
  const onceEach = unfinished === 0 && starts.every((x) => x.attempts === 1);
  return { seedSeconds, seconds, jobsPerSecond: jobs / seconds, outOfOrder, othersFirstPct, othersLastPct, onceEach, unfinished };
}

export async function backlogBench(quick: boolean): Promise<void> {
  console.log("## Backlog: jobs waiting behind one owner's cap (one worker, concurrency 4, poll 1 s)\n");
  const sizes = process.env.BACKLOG_SIZES ? process.env.BACKLOG_SIZES.split(',').map(Number) : quick ? [0, 1_000, 5_000] : [0, 1_000, 5_000, 20_000];
  const all: Record<string, () => Promise<Target | null>> = { fs: fsTarget, standin: standInTarget, real: realTarget };
  const pick = (names: string) =>
    names
      .split(',')
      .filter((n) => n.trim() !== '')
      .map((n) => {
        const make = all[n.trim()];
        if (!make) throw new Error(`no store ${n} (have: ${Object.keys(all).join(', ')})`);
        return make;
      });
  // The target is "over a minute": a shorter window is for trying things out.
  const idleSeconds = Number(process.env.BACKLOG_IDLE_S ?? (quick ? 10 : 60));
  const rows: Array<Record<string, string | number>> = [];
  for (const make of process.env.BACKLOG_SKIP ? [] : pick(process.env.BACKLOG_STORES ?? 'fs,standin,real')) {
    const target = await make();
    if (!target) continue;
    try {
      await backlogOn(target, sizes, { idleSeconds, pokes: quick ? 5 : 10 }, (row) => {
        rows.push(row);
        console.log(table([row]));
      });
    } finally {
      await target.cleanup();
    }
  }
  console.log('\n' + table(rows) + '\n');

  console.log('## Draining a burst (one worker, concurrency 50, no caps, 20 ms renders; four owners, one sending half)\n');
  const drains: Array<Record<string, string | number>> = [];
  for (const make of pick(process.env.DRAIN_STORES ?? 'fs')) {
    for (const jobs of process.env.DRAIN_SIZES ? process.env.DRAIN_SIZES.split(',').map(Number) : quick ? [1_000] : [1_000, 5_000]) {
      const target = await make();
      if (!target) break;
      try {
        const r = await drain(target, jobs);
        drains.push({
          store: target.directName ?? target.name,
          jobs,
          'seeded in': `${r.seedSeconds.toFixed(0)} s`,
          seconds: r.seconds.toFixed(1),
          'jobs/s': r.jobsPerSecond.toFixed(1),
          'out of creation order': r.outOfOrder,
          'others start / done at (% of drain)': `${r.othersFirstPct}% / ${r.othersLastPct}%`,
          'each once': String(r.onceEach),
          unfinished: r.unfinished,
        });
        console.log(table(drains.slice(-1)));
      } finally {
        await target.cleanup();
      }
    }
  }
  console.log('\n' + table(drains) + '\n');
}
