// Chaos: N real worker processes on one store, SIGKILLed at random while jobs run and replaced by
// new ones, while jobs keep arriving; on the Supabase stand-in, a share of all storage requests
// fail or are slow as well. At the end every job must be terminal, with exactly one result if it
// completed, at most one charge, and no job may have stayed `processing` on a dead worker longer
// than the lease plus one sweep. Used by the CI test (scaled down) and `npm run chaos` (large).
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { rm } from 'node:fs/promises';
import { bundleWorker, type Proc, startWorker } from '../../scripts/processes.js';
import { parseJob } from '../../shared/job/job-docs.js';
import type { JobDocument } from '../../shared/job/document.js';
import { createJobOnce } from '../../shared/queue/idempotency.js';
import { CLOCK_SKEW_MS } from '../../shared/queue/deps.js';
import { readLease } from '../../shared/queue/lease.js';
import { listAll, type ObjectStore } from '../../shared/store/object-store.js';
import { keys } from '../../shared/store/keys.js';
import { pino } from 'pino';
import { setTimeout as sleep } from 'node:timers/promises';
import { StoreUnavailableError } from '../../shared/errors.js';
import { smallRequest } from '../helpers/concept.js';
import { testQueue } from '../helpers/deps.js';
import { type ProcessStoreFixture, processStoreFactory, servedSupabase, tempDir } from '../helpers/stores.js';
import { FsObjectStore } from '../../shared/store/fs-store.js';
import { postgresFixture } from '../helpers/postgres.js';
import { randomFaults, seededRandom } from '../stand-ins/faults.js';

export interface ChaosOptions {
  jobs: number;
  workers: number;
  /** `supabase-real`: the real server named by SUPABASE_URL, in fresh buckets (no injected faults). */
  /** `supabase-racy`: the stand-in with the create-only of servers before Sept 2026 (1..N winners). */
  store: 'fs' | 'supabase' | 'supabase-racy' | 'postgres' | 'supabase-real';
  /** Share of storage requests that fail or are slow (Supabase stand-in only). */
  faultRate: number;
  renderMs: number;
  /** A worker is killed every this many ms (picked at random in the range). */
  killEveryMs: [number, number];
  leaseMs: number;
  seed: number;
  timeoutMs: number;
  onProgress?: (line: string) => void;
}

export interface ChaosReport {
  jobs: number;
  completed: number;
  failed: number;
  other: number;
  kills: number;
  workersStarted: number;
  lostAttempts: number;
  /** Longest time a job stayed `processing` on a killed worker before another took it over. */
  maxStuckMs: number;
  /** What the rules promise: lease + clock skew + one sweep interval, plus the sweep's own time. */
  stuckLimitMs: number;
  stuckMs: number[];
  /**
   * The longest takeover, step by step in ms after the kill: the job's history and every worker
   * coming up or being killed meanwhile (a takeover needs a live worker; see liveWorkers).
   */
  slowest: { jobId: string; timeline: string[] } | null;
  /** Workers up (started and not killed) over the run, sampled every 100 ms, and how long a start took. */
  liveWorkers: { mean: number; shareAtMostOne: number; startMsP50: number; startMsMax: number };
  doubleCharges: number;
  chargesOfUnfinished: number;
  completedWithoutCharge: number;
  /** Completed jobs whose charge hook never ran: the worker died between the marker and the call. */
  chargesLost: number;
  chargeMarkersLeftCharging: number;
  resultsMissing: number;
  strayResults: number;
  storageRequests: number | null;
  faultsInjected: number | null;
  durationMs: number;
  docs: JobDocument[];
}

const POLL_MS = 100;
const HEARTBEAT_MS = 300;
/**
 * The sweep itself: reading the queue and taking the stalled job over, about four storage requests
 * one after another (read the job, create the lease, check the fence, write). On a store failing a
 * fifth of its requests each failure costs a retry after a 100–1,600 ms backoff, and a slow answer
 * 200 ms, so there a takeover may take several seconds more (measured over 1,000 jobs: p90 1.3 s,
 * max 4.1 s beyond lease + skew).
 */
const SWEEP_ALLOWANCE_MS = { clean: 1_500, faulty: 5_000, real: 5_000 };
// On the real Supabase Storage server each of the takeover's ~12 sequential requests takes the
// server's latency (p50 10–27 ms, p90 38–108 ms on loopback), and its racy create-only adds a settle
// before the read-back, twice (slot, lease): measured 2.6 and 3.6 s beyond lease + skew + poll in CI
// runs, as much as the stand-in failing a fifth of its requests. Shortening that path is open work.

export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const started = Date.now();
  const random = seededRandom(o.seed);
  const say = o.onProgress ?? (() => undefined);
  let fx: ProcessStoreFixture;
  let injected = 0;
  if (o.store === 'postgres') {
    fx = await postgresFixture(); // killed workers drop their connections: the cluster takes it
  } else if (o.store === 'fs') {
    const tmp = await tempDir('render-jobs-chaos-');
    const dir = path.join(tmp.dir, 'jobs');
    fx = { store: new FsObjectStore(dir), env: { STORE: 'fs', JOBS_DIR: dir }, cleanup: tmp.cleanup };
  } else if (o.store === 'supabase-real') {
    fx = await processStoreFactory('supabase-real')();
  } else {
    const plan = randomFaults(
      o.faultRate,
      [{ kind: 'status', status: 503 }, { kind: 'status', status: 500 }, { kind: 'drop' }, { kind: 'drop-after' }, { kind: 'slow', ms: 200 }],
      seededRandom(o.seed + 1),
    );
    fx = await servedSupabase({
      atomicCreate: o.store !== 'supabase-racy',
      faults: (op) => {
        const f = plan(op);
        if (f) injected++;
        return f;
      },
    });
  }
  const store = fx.store;
  const ledgerDir = await tempDir('render-jobs-ledger-');
  const ledger = path.join(ledgerDir.dir, 'charges.log');
  writeFileSync(ledger, '');
  // Dozens of workers start during a run: bundled, each starts in ~0.2 s instead of compiling
  // TypeScript for a second or two on a machine the chaos already keeps busy.
  const bundle = await bundleWorker(['test/chaos/charge-ledger.ts']);
  const workerEnv = {
    ...fx.env,
    RENDERER: 'stub',
    RENDER_DELAY_MS: String(o.renderMs),
    LEASE_MS: String(o.leaseMs),
    HEARTBEAT_MS: String(HEARTBEAT_MS),
    POLL_INTERVAL_MS: String(POLL_MS),
    CLAIM_SETTLE_MS: '100',
    WORKER_CONCURRENCY: '4',
    MAX_ATTEMPTS: '10',
    RETRY_BASE_MS: '100',
    RETRY_MAX_MS: '500',
    STORE_RETRIES: '4',
    WORKER_DRAIN_MS: '1000',
    CHARGE_HOOK_MODULE: path.join(bundle.outdir, 'test/chaos/charge-ledger.mjs'),
    CHAOS_CHARGE_LEDGER: ledger,
    LOG_LEVEL: 'warn',
  };

  const live = new Map<string, Proc>();
  const killedAt = new Map<string, number>();
  /** When each worker was spawned and when it was up (listening), for the report's timelines. */
  const spawnedAt = new Map<string, number>();
  const upAt = new Map<string, number>();
  const procs = new Map<string, Proc>();
  let generation = 0;
  const starting = new Set<Promise<void>>();
  const spawn = () => {
    const id = `chaos-${++generation}`;
    spawnedAt.set(id, Date.now());
    const started = startWorker({ ...workerEnv, WORKER_ID: id }, bundle.worker).then((p) => {
      upAt.set(id, Date.now());
      live.set(id, p);
      procs.set(id, p);
      void p.exited.then(() => live.delete(id));
    });
    starting.add(started);
    void started.finally(() => starting.delete(started)).catch(() => undefined);
    return started;
  };
  await Promise.all(Array.from({ length: o.workers }, spawn));
  const allUp = Date.now();

  // Jobs arrive over the run, each under an idempotency key: a create retried after a storage
  // fault returns the same job instead of making a second one.
  const deps = { store, queue: { ...testQueue, claimSettleMs: 100, maxAttempts: 10 }, log: pino({ level: 'silent' }), now: Date.now };
  const created: Array<{ projectId: string; jobId: string }> = [];
  const creating = (async () => {
    for (let i = 0; i < o.jobs; i++) {
      for (let tries = 0; ; tries++) {
        try {
          const { job } = await createJobOnce(deps, smallRequest('chaos'), { ownerId: null, idempotencyKey: `chaos-${o.seed}-${i}` });
          created.push(job);
          break;
        } catch (err) {
          if (tries > 20) throw err;
        }
      }
      if (i % 10 === 9) await new Promise((r) => setTimeout(r, 20));
    }
  })();

  let kills = 0;
  let stopKilling = false;
  const stopped = new AbortController();
  const killing = (async () => {
    while (!stopKilling) {
      const [min, max] = o.killEveryMs;
      await sleep(min + random() * (max - min), undefined, { signal: stopped.signal }).catch(() => undefined);
      // One worker down at a time: the next kill waits until the last victim's replacement is up.
      // On a loaded machine a start took 3-7 s, so kills every 0.8-2 s left no worker up for
      // seconds on end (a 1,000-job Postgres run: 1.7 of 4 up on average, none for up to 15 s),
      // and a job then waits for a worker to exist, which no takeover rule can shorten.
      while (starting.size > 0 && !stopKilling) await sleep(50);
      if (stopKilling) break;
      const ids = [...live.keys()];
      if (ids.length === 0) continue;
      const id = ids[Math.floor(random() * ids.length)]!;
      const victim = live.get(id)!;
      killedAt.set(id, Date.now());
      victim.child.kill('SIGKILL');
      kills++;
      await victim.exited;
      if (!stopKilling) void spawn().catch(() => undefined); // a failed start shows as fewer workers, and in the checks
    }
  })();
  /** Stops the killing, lets workers still starting come up, then stops every live worker with `signal`. */
  async function stopWorkers(signal: NodeJS.Signals): Promise<void> {
    stopKilling = true;
    stopped.abort();
    await killing;
    await Promise.allSettled([...starting]);
    await Promise.all(
      [...live.values()].map(async (p) => {
        p.child.kill(signal);
        await p.exited;
      }),
    );
  }

  await creating;
  say(`${created.length} jobs created; ${kills} workers killed so far`);
  // Every pending or running job has a queue marker (the rules keep it until the job is terminal
  // and settled), so an empty queue folder means done: one listing per look, not a read per job
  // (the stand-in serves every worker too, and would spend itself on the harness's reads).
  const deadline = started + o.timeoutMs;
  for (;;) {
    let open: number;
    try {
      open = (await store.list(keys.queueFolder, { limit: 1000 })).items.length;
    } catch (err) {
      if (!(err instanceof StoreUnavailableError)) throw err;
      continue;
    }
    if (open === 0) break;
    if (Date.now() > deadline) {
      // Leave nothing running: orphaned workers would go on loading the machine and the store.
      await stopWorkers('SIGKILL');
      await fx.cleanup();
      throw new Error(`chaos: ${open} jobs still queued or running after ${o.timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  await stopWorkers('SIGTERM');
  const endedAt = Date.now();
  // CHAOS_LOG=file: every worker's log lines, with when it was spawned, up and killed (diagnosis).
  if (process.env.CHAOS_LOG) {
    const out = [...procs].flatMap(([w, p]) =>
      p.lines.map((l) => JSON.stringify({ w, spawnedAt: spawnedAt.get(w), upAt: upAt.get(w), killedAt: killedAt.get(w), ...l })),
    );
    writeFileSync(process.env.CHAOS_LOG, out.join('\n'));
  }
  if (fx.standIn) fx.standIn.faults = undefined; // the checks below read the store as it is
  say(`all terminal after ${Date.now() - started} ms; checking`);

  const docs = await readAll(store, created);
  const lines = readFileSync(ledger, 'utf8').split('\n').filter(Boolean);
  const chargesPer = new Map<string, number>();
  for (const l of lines) chargesPer.set(l, (chargesPer.get(l) ?? 0) + 1);
  const results = new Set<string>();
  for await (const e of listAll(store, 'results/chaos/')) results.add(e.name);

  let maxStuckMs = 0;
  let lostAttempts = 0;
  const stuck: number[] = [];
  let slowest: ChaosReport['slowest'] = null;
  const liveAt = (t: number) => [...upAt].filter(([w, up]) => up <= t && (killedAt.get(w) ?? Infinity) > t).length;
  for (const d of docs) {
    for (const a of d.attempts) {
      const attemptKilled = killedAt.get(a.workerId);
      if (a.outcome !== 'lost' || attemptKilled === undefined || !a.endedAt) continue;
      lostAttempts++;
      // Taken over from a live worker that stalled past its lease (killed later): not on a dead one.
      if (attemptKilled > Date.parse(a.endedAt)) continue;
      const killed = await lastDeathHolding(store, d, a, attemptKilled, killedAt);
      const ms = Date.parse(a.endedAt) - killed;
      stuck.push(ms);
      if (ms <= maxStuckMs) continue;
      maxStuckMs = ms;
      const until = Date.parse(a.endedAt);
      const workers = [...upAt].flatMap(([w, up]) => {
        const down = killedAt.get(w);
        return [
          ...(up > killed && up <= until ? [{ at: up, line: `${w} up` }] : []),
          ...(down !== undefined && down > killed && down <= until ? [{ at: down, line: `${w} killed` }] : []),
        ];
      });
      const history = d.history.map((h) => ({
        at: Date.parse(h.at),
        line: `${h.type}${h.workerId ? ` by ${h.workerId}` : ''}${h.attempt ? ` (attempt ${h.attempt})` : ''}`,
      }));
      slowest = {
        jobId: d.jobId,
        timeline: [
          `attempt ${a.attempt} on ${a.workerId}, killed at ${attemptKilled - killed} ms with ${liveAt(attemptKilled)} workers up after it`,
          ...(killed === attemptKilled ? [] : [`0 ms: the claimer of a later lease killed before its claim named it`]),
          ...[...workers, ...history]
            .filter((e) => e.at >= Date.parse(a.startedAt))
            .sort((x, y) => x.at - y.at)
            .map((e) => `${e.at - killed} ms: ${e.line} (${liveAt(e.at)} up)`),
        ],
      };
    }
  }
  const samples: number[] = [];
  for (let t = allUp; t < endedAt; t += 100) samples.push(liveAt(t));
  const starts = [...upAt].map(([w, up]) => up - spawnedAt.get(w)!).sort((x, y) => x - y);
  let chargingLeft = 0;
  let completedWithoutCharge = 0;
  for (const d of docs.filter((x) => x.status === 'completed')) {
    const marker = await store.get(keys.charge(d.projectId, d.jobId));
    if (!marker) completedWithoutCharge++;
    else if (JSON.parse(marker.body.toString()).state === 'charging') chargingLeft++;
  }
  const completed = docs.filter((d) => d.status === 'completed');
  const report: ChaosReport = {
    jobs: created.length,
    completed: completed.length,
    failed: docs.filter((d) => d.status === 'failed').length,
    other: docs.filter((d) => d.status !== 'completed' && d.status !== 'failed').length,
    kills,
    workersStarted: generation,
    lostAttempts,
    maxStuckMs,
    stuckMs: stuck.sort((a, b) => a - b),
    slowest,
    liveWorkers: {
      mean: samples.reduce((x, y) => x + y, 0) / Math.max(1, samples.length),
      shareAtMostOne: samples.filter((n) => n <= 1).length / Math.max(1, samples.length),
      startMsP50: starts[Math.floor(starts.length / 2)] ?? 0,
      startMsMax: starts.at(-1) ?? 0,
    },
    stuckLimitMs:
      o.leaseMs +
      CLOCK_SKEW_MS +
      POLL_MS +
      (o.faultRate > 0 ? SWEEP_ALLOWANCE_MS.faulty : o.store === 'supabase-real' ? SWEEP_ALLOWANCE_MS.real : SWEEP_ALLOWANCE_MS.clean),
    doubleCharges: [...chargesPer.values()].filter((n) => n > 1).length,
    chargesOfUnfinished: docs.filter((d) => d.status !== 'completed' && chargesPer.has(d.jobId)).length,
    completedWithoutCharge,
    chargesLost: completed.filter((d) => !chargesPer.has(d.jobId)).length,
    chargeMarkersLeftCharging: chargingLeft,
    resultsMissing: completed.filter((d) => !results.has(`${d.jobId}.png`) || d.result?.key !== keys.result('chaos', d.jobId, 'png')).length,
    strayResults: [...results].filter((n) => !completed.some((d) => `${d.jobId}.png` === n)).length,
    storageRequests: fx.standIn ? fx.standIn.totalRequests : null,
    faultsInjected: fx.standIn ? injected : null,
    durationMs: Date.now() - started,
    docs,
  };
  await fx.cleanup();
  await ledgerDir.cleanup();
  await rm(bundle.outdir, { recursive: true, force: true });
  return report;
}

/**
 * When the job was last on a dead worker before it was taken over: the lost attempt's worker's
 * kill, or a later one of a claimer that took the next lease and was killed before its claim
 * named it (a lease number the taking attempt skips). Each such death is a takeover of its own,
 * a lease-and-skew wait of its own; a skipped lease whose claimer was not killed counts from the
 * first death, against the queue.
 */
async function lastDeathHolding(
  store: ObjectStore,
  d: JobDocument,
  lost: JobDocument['attempts'][number],
  killed: number,
  killedAt: Map<string, number>,
): Promise<number> {
  const taker = d.attempts.find((x) => x.attempt > lost.attempt);
  let last = killed;
  for (let n = lost.attempt + 1; taker && n < taker.attempt; n++) {
    const lease = await readLease({ store }, d.jobId, n);
    const death = lease ? killedAt.get(lease.workerId) : undefined;
    if (death !== undefined && death > last && death < Date.parse(lost.endedAt ?? '')) last = death;
  }
  return last;
}

async function readAll(store: ObjectStore, refs: Array<{ projectId: string; jobId: string }>): Promise<JobDocument[]> {
  const out: JobDocument[] = [];
  // In batches: a thousand reads at once would be a load test of its own.
  for (let i = 0; i < refs.length; i += 50) {
    const batch = await Promise.all(
      refs.slice(i, i + 50).map(async (r) => {
        const key = keys.job(r.projectId, r.jobId);
        for (let tries = 0; ; tries++) {
          try {
            const o = await store.get(key);
            if (!o) throw new Error(`chaos: job ${r.jobId} vanished`);
            return parseJob(key, o.body);
          } catch (err) {
            // Injected faults outlast the store's own retries now and then; anything else is a finding.
            if (!(err instanceof StoreUnavailableError) || tries >= 10) throw err;
          }
        }
      }),
    );
    out.push(...batch);
  }
  return out;
}
