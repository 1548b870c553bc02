// What a backlog costs: with 0 … 20,000 jobs waiting behind one owner's cap, one worker's idle
// storage requests a second, how soon a poked (and an un-poked) job of another owner starts, how
// soon a restarted worker claims, and what a status poll of a waiting job costs. On the fs store, on
// the Supabase stand-in with 40 ms added to every request, and on the real Supabase Storage server
// when SUPABASE_URL is set. The waiting jobs are real: created as the API creates them (enqueueJob),
// many in flight, their owner's one slot held by a live claim; one backlog per store, grown between
// sizes. Then a burst drained by one worker, on any of the stores.
//
// Env: BACKLOG_STORES (fs,standin,real), BACKLOG_SIZES, BACKLOG_IDLE_S (the idle window, 60 s),
// BACKLOG_SKIP, DRAIN_STORES (fs), DRAIN_SIZES, DRAIN_RENDER_MS (20), SEED_IN_FLIGHT (48), BACKLOG_DEBUG.
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../shared/config.js';
import type { JobDocument } from '../shared/job/document.js';
import { readJob } from '../shared/job/job-docs.js';
import { startMetricsPublisher } from '../shared/metrics/publish.js';
import { RecentOutcomes } from '../shared/metrics/recent.js';
import { StubRenderer } from '../shared/providers/stub.js';
import { claimJob } from '../shared/queue/claim.js';
import { enqueueJob } from '../shared/queue/enqueue.js';
import { CountingStore } from '../shared/store/counting-store.js';
import type { ObjectStore } from '../shared/store/object-store.js';
import { viewJob } from '../shared/use-cases/view-job.js';
import { ClaimLoop } from '../worker/claim-loop.js';
import { depsOf, log, POLL_MS, pickTargets, request, seed, startedAfterCreate, type Target, waitFor } from './backlog-targets.js';
import { drainBench } from './drain.js';
import { ms, summarize, table } from './stats.js';

/** A little more than the overlap each listing re-reads (worker/queue-view.ts). */
const SETTLED_MS = 6_000;

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
  const idlePerSecond = counting.total() / ((Date.now() - idleFrom) / 1000);
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
  const pollRequests = apiStore.total() / polls.length;
  if (process.env.BACKLOG_DEBUG) {
    const { readQueueState } = await import('../shared/metrics/read.js');
    const st = await readQueueState(raw, Date.now());
    console.log('debug', JSON.stringify(apiStore.counts), st.view ? { at: st.view.at, n: st.view.due.length } : null, lastHog.runAfter);
  }

  await loop.stop(1_000);
  await metrics.stop();
  return { restartMs, idlePerSecond, poked: summarize(poked), unpoked: summarize(unpoked), poll: summarize(polls), pollRequests, position };
}

export async function backlogBench(quick: boolean): Promise<void> {
  console.log("## Backlog: jobs waiting behind one owner's cap (one worker, concurrency 4, poll 1 s)\n");
  const sizes = process.env.BACKLOG_SIZES ? process.env.BACKLOG_SIZES.split(',').map(Number) : quick ? [0, 1_000, 5_000] : [0, 1_000, 5_000, 20_000];
  // The target is "over a minute": a shorter window is for trying things out.
  const idleSeconds = Number(process.env.BACKLOG_IDLE_S ?? (quick ? 10 : 60));
  const rows: Array<Record<string, string | number>> = [];
  for (const make of process.env.BACKLOG_SKIP ? [] : pickTargets(process.env.BACKLOG_STORES ?? 'fs,standin,real')) {
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
  await drainBench(quick);
}
