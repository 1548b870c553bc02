// Draining a burst: thousands of jobs from four owners, one sending half first, drained by one
// worker; whether each owner's jobs start in creation order, no owner waits for another's, each runs
// once, and what a user sees meanwhile (a poked job's pickup, a waiting job's status poll).
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../shared/config.js';
import type { JobDocument } from '../shared/job/document.js';
import { enqueueJob } from '../shared/queue/enqueue.js';
import { CountingStore } from '../shared/store/counting-store.js';
import { viewJob } from '../shared/use-cases/view-job.js';
import { type Proc, startWorker, stop } from '../scripts/processes.js';
import { depsOf, log, POLL_MS, pickTargets, readAll, request, seed, startedAfterCreate, type Target, waitFor } from './backlog-targets.js';
import { ms, summarize, table } from './stats.js';

/**
 * 20 ms: the worker's own cost per job is what limits the drain (a CPU-bound worker, the worst case
 * for everyone waiting on it); seconds, as renders really take: slots, not CPU, are what is short.
 */
const RENDER_MS = Number(process.env.DRAIN_RENDER_MS ?? 20);
/** The worker's pacing (worker/pacing.ts), and the peer it is compared with in the same run. */
const PACINGS = (process.env.DRAIN_PACING ?? 'latency,off').split(',');

/**
 * A burst of `jobs` from four owners — one sends half first, then three others — drained by one
 * worker process (concurrency 50, no caps, 20 ms renders or DRAIN_RENDER_MS), as deployed: how long, how fast, whether
 * each owner's jobs started in creation order, and when the three others' jobs began and finished
 * starting (in creation order alone they would wait for the whole first half; taking turns, they
 * start at once). Meanwhile the probes: a new owner's job, its status polled while it waits and then
 * poked, against the same at an empty queue.
 */
async function drain(target: Target, jobs: number, pacing: string) {
  const owners = ['big', 'a', 'b', 'c'];
  // The big owner's half first, then the three others': in creation order alone they would wait for all of it.
  const ownerOf = (i: number) => (i < jobs / 2 ? 'big' : owners[1 + (i % 3)]!);
  const env = {
    ...target.env,
    RENDERER: 'stub',
    RENDER_DELAY_MS: String(RENDER_MS),
    WORKER_CONCURRENCY: '50',
    MAX_RUNNING: '0',
    MAX_RUNNING_PER_OWNER: '0',
    POLL_INTERVAL_MS: String(POLL_MS),
    WORKER_PACING: pacing,
  };
  target.latency?.(true);
  const calm = await startWorker(env);
  const calmProbes = new Probes(target, calm);
  for (let i = 0; i < 5; i++) await calmProbes.pickup();
  await stop(calm);

  target.latency?.(false);
  const seedFrom = Date.now();
  const made = await seed(target.direct, jobs, ownerOf, 'burst');
  const seedSeconds = (Date.now() - seedFrom) / 1000;
  target.latency?.(true);

  const worker = await startWorker(env);
  const started = Date.now();
  const during = new Probes(target, worker);
  // Each owner's newest job: owners take turns, so the burst is drained when all four are done.
  const lastOfEach = owners.map((owner) => made.findLast((j) => j.ownerId === owner)!);
  let draining = true;
  const probing = (async () => {
    while (draining) {
      await during.pickup();
      await sleep(500);
    }
  })();
  for (const job of lastOfEach) await waitFor(target.direct, job, (d) => d.status === 'completed', 60 * 60_000, 500);
  draining = false;
  await probing;
  let docs = await readAll(target.direct, made);
  for (const deadline = Date.now() + 120_000; docs.some((d) => d?.status !== 'completed') && Date.now() < deadline; ) {
    await sleep(1_000);
    docs = await readAll(target.direct, made);
  }
  // What went wrong in the worker, if anything: the log's warnings and errors by message.
  const trouble = tally(
    worker.lines
      .filter((l) => Number(l.level) >= 40)
      .map((l) => `${String(l.msg)}${l.err ? ` (${String((l.err as { message?: unknown }).message ?? '').slice(0, 60)})` : ''}`),
  );
  await stop(worker);
  const unfinished = docs.filter((d) => d?.status !== 'completed').length;
  if (process.env.BACKLOG_DEBUG) {
    console.log('unfinished', JSON.stringify(tally(docs.filter((d) => d?.status !== 'completed').map((d) => `${d?.status} ${d?.errorCode ?? ''}`))));
    const again = docs.flatMap((d) => (d && d.attempts.length > 1 ? d.attempts.slice(0, -1) : []));
    console.log('attempts before the last', JSON.stringify(tally(again.map((x) => `${x.outcome}: ${(x.error ?? '').slice(0, 120)}`)).slice(0, 8)));
  }
  const done = docs.filter((d): d is JobDocument => d?.status === 'completed');
  // From the documents, not from when the bench looked: the last job's completion.
  const seconds = (Math.max(...done.map((d) => Date.parse(d.completedAt!))) - started) / 1000;
  const starts = done.map((d) => ({
    owner: d.ownerId!,
    started: Date.parse(d.attempts[0]!.startedAt),
    attempts: d.attempts.length,
    created: Date.parse(d.createdAt),
  }));
  // In creation order per owner: a job starts no more than a claim's spread (1 s) before any job of
  // its owner created earlier; how far the worst one did, beside how many did. Jobs created in the
  // same millisecond have no order between them (their markers sort by id), so only strictly
  // earlier ones count.
  let outOfOrder = 0;
  let worstMs = 0;
  for (const owner of owners) {
    const mine = starts.filter((x) => x.owner === owner).sort((x, y) => x.created - y.created);
    let earlier = Number.NEGATIVE_INFINITY; // the latest start among jobs created before this millisecond
    let thisMs = Number.NEGATIVE_INFINITY; // the latest start among jobs created in it so far
    for (const [i, x] of mine.entries()) {
      if (i > 0 && x.created !== mine[i - 1]!.created) earlier = Math.max(earlier, thisMs);
      if (i === 0 || x.created !== mine[i - 1]!.created) thisMs = Number.NEGATIVE_INFINITY;
      if (x.started + 1_000 < earlier) outOfOrder++;
      worstMs = Math.max(worstMs, earlier - x.started);
      thisMs = Math.max(thisMs, x.started);
    }
  }
  // Fairness: when the three others' first and last jobs started, as a share of the drain.
  const others = starts.filter((x) => x.owner !== 'big');
  const share = (ms: number) => Math.round(((ms - started) / (seconds * 1000)) * 100);
  return {
    seedSeconds,
    seconds,
    jobsPerSecond: jobs / seconds,
    outOfOrder,
    worstMs,
    othersFirstPct: share(Math.min(...others.map((x) => x.started))),
    othersLastPct: share(Math.max(...others.map((x) => x.started))),
    onceEach: unfinished === 0 && starts.every((x) => x.attempts === 1),
    unfinished,
    trouble,
    pickup: { calm: summarize(calmProbes.pickups), draining: summarize(during.pickups) },
    poll: { calm: summarize(calmProbes.polls), draining: summarize(during.polls) },
    pollRequests: { calm: mean(calmProbes.pollRequests), draining: mean(during.pollRequests) },
    limits: during.limits,
  };
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);

function tally(xs: string[]): Array<[string, number]> {
  return Object.entries(xs.reduce<Record<string, number>>((t, x) => ((t[x] = (t[x] ?? 0) + 1), t), {})).sort((x, y) => y[1] - x[1]);
}

/**
 * What a user of the queue sees while others' work runs: a poked job of an owner of its own, create
 * → started, poked as the API pokes (`POST /process`); and a status poll (position and ETA) of a
 * waiting job, as the API answers it over the measured store.
 */
class Probes {
  readonly pickups: number[] = [];
  readonly polls: number[] = [];
  /** Storage requests of each poll kept in `polls`. */
  readonly pollRequests: number[] = [];
  /** The worker's pacing limit at each probe (its /healthz). */
  readonly limits: number[] = [];
  private owners = 0;
  private readonly ctx;
  private readonly counted: CountingStore;

  constructor(
    private readonly target: Target,
    private readonly worker: Proc,
  ) {
    this.counted = new CountingStore(target.store);
    this.ctx = { config: loadConfig({ NODE_ENV: 'test' }), store: this.counted, log, queue: depsOf(this.counted) };
  }

  /** A job of a new owner: its status polled while it waits, then poked; create → started. */
  async pickup(): Promise<void> {
    const job = await enqueueJob(depsOf(this.target.store), request('probe'), { ownerId: `probe${++this.owners}` });
    await this.poll(job);
    const poked = await fetch(`${this.worker.url}/process`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ projectId: job.projectId, jobId: job.jobId }),
    });
    if (poked.status !== 202) throw new Error(`the worker refused a poke: ${poked.status}`);
    this.pickups.push(startedAfterCreate(await waitFor(this.target.direct, job, (d) => d.status !== 'pending')));
    const health = (await (await fetch(`${this.worker.url}/healthz`)).json()) as { pacing?: { limit: number } };
    if (health.pacing) this.limits.push(health.pacing.limit);
    if (process.env.BACKLOG_DEBUG) console.log('pacing', JSON.stringify(health.pacing));
  }

  /** The job's status as the poll saw it (the poll's time is kept only while it waits). */
  async poll(job: JobDocument): Promise<string> {
    const t = performance.now();
    const before = this.counted.total();
    const view = await viewJob(this.ctx, { kind: 'service' }, job);
    if (view.job.status === 'pending') {
      this.polls.push(performance.now() - t);
      this.pollRequests.push(this.counted.total() - before);
    }
    return view.job.status;
  }
}

export async function drainBench(quick: boolean): Promise<void> {
  console.log(`## Draining a burst (one worker, concurrency 50, no caps, ${RENDER_MS} ms renders; four owners, one sending half)\n`);
  const drains: Array<Record<string, string | number>> = [];
  for (const make of pickTargets(process.env.DRAIN_STORES ?? 'fs')) {
    for (const jobs of process.env.DRAIN_SIZES ? process.env.DRAIN_SIZES.split(',').map(Number) : quick ? [1_000] : [1_000, 5_000]) {
      for (const pacing of PACINGS) {
        const target = await make();
        if (!target) break;
        try {
          const r = await drain(target, jobs, pacing);
          drains.push({
            store: target.name,
            jobs,
            pacing,
            'seeded in': `${r.seedSeconds.toFixed(0)} s`,
            seconds: r.seconds.toFixed(1),
            'jobs/s': r.jobsPerSecond.toFixed(1),
            'started > 1 s before an older job (worst)': `${r.outOfOrder} (${ms(r.worstMs)})`,
            'others start / done at (% of drain)': `${r.othersFirstPct}% / ${r.othersLastPct}%`,
            'each once': String(r.onceEach),
            unfinished: r.unfinished,
            'worker warnings': r.trouble.map(([msg, n]) => `${n}× ${msg}`).join('; ') || 'none',
            'poked p50: empty / draining': `${ms(r.pickup.calm.p50)} / ${ms(r.pickup.draining.p50)} (n=${r.pickup.draining.n})`,
            'in flight allowed (min–max)': r.limits.length ? `${Math.min(...r.limits)}–${Math.max(...r.limits)}` : '?',
            'status poll p50: empty / draining': `${ms(r.poll.calm.p50)} / ${ms(r.poll.draining.p50)} (n=${r.poll.draining.n})`,
            'requests a poll: empty / draining': `${r.pollRequests.calm.toFixed(1)} / ${r.pollRequests.draining.toFixed(1)}`,
          });
          console.log(table(drains.slice(-1)));
        } finally {
          await target.cleanup();
        }
      }
    }
  }
  console.log('\n' + table(drains) + '\n');
}
