// render-jobs beside BullMQ on a local Redis, same run, same machine: enqueue latency, pickup
// latency, jobs/s at concurrency 50 (no-op and a 50 ms job), and the time until a job whose worker
// was SIGKILLed runs again — each with its defaults (render-jobs: fs store, 15 s lease; BullMQ: 30 s
// lock, stalled check every 30 s). Then one render-jobs worker holding 200 five-second renders.
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { Queue } from 'bullmq';
import { pino } from 'pino';
import { loadConfig } from '../shared/config.js';
import { RenderRequest } from '../shared/job/request.js';
import { enqueueJob } from '../shared/queue/enqueue.js';
import { readJob } from '../shared/job/job-docs.js';
import { FsObjectStore } from '../shared/store/fs-store.js';
import { type Proc, startProcess, startWorker, stop } from '../scripts/processes.js';
import { benchDir, exampleBody } from './env.js';
import { startRedis } from './peer/redis.js';
import { ms, summarize, table } from './stats.js';

type Redis = NonNullable<Awaited<ReturnType<typeof startRedis>>>;
const sleep = (n: number) => new Promise((r) => setTimeout(r, n));
const rssMbOf = (pid: number) =>
  Math.round(
    Number(
      execFileSync('ps', ['-o', 'rss=', '-p', String(pid)])
        .toString()
        .trim(),
    ) / 1024,
  );

async function rjSetup() {
  const tmp = await benchDir();
  const jobsDir = path.join(tmp.dir, 'jobs');
  const store = new FsObjectStore(jobsDir);
  // No global cap: BullMQ has none, and 50 at once is the point.
  const deps = { store, queue: { ...loadConfig({}).queue, maxRunning: 0 }, log: pino({ level: 'silent' }), now: Date.now };
  const request = RenderRequest.parse(JSON.parse(await exampleBody()));
  const env = { JOBS_DIR: jobsDir, RENDERER: 'stub', MAX_RUNNING: '0', LOG_LEVEL: 'info' };
  return { tmp, store, deps, request, env };
}

function bullWorker(redis: Redis, env: Record<string, string>): Promise<Proc> {
  return startProcess('bench/peer/bullmq-worker.ts', { REDIS_PORT: String(redis.port), ...env });
}

async function enqueueLatency(redis: Redis, n: number) {
  const rj = await rjSetup();
  const rjTimes: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await enqueueJob(rj.deps, rj.request);
    rjTimes.push(performance.now() - t);
  }
  await rj.tmp.cleanup();
  const queue = new Queue('bench', { connection: { host: '127.0.0.1', port: redis.port } });
  const bullTimes: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await queue.add('render', rj.request);
    bullTimes.push(performance.now() - t);
  }
  await queue.obliterate({ force: true });
  await queue.close();
  return { rj: summarize(rjTimes), bull: summarize(bullTimes) };
}

async function pickupLatency(redis: Redis, n: number) {
  const rj = await rjSetup();
  const worker = await startWorker(rj.env);
  const rjTimes: number[] = [];
  for (let i = 0; i < n; i++) {
    const job = await enqueueJob(rj.deps, rj.request);
    // What the create route does: a poke, not awaited by anyone.
    void fetch(`${worker.url}/process`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jobId: job.jobId, projectId: job.projectId }),
    });
    for (;;) {
      const doc = await readJob(rj.store, job.projectId, job.jobId);
      if (doc?.status === 'completed') {
        rjTimes.push(Date.parse(doc.startedAt!) - Date.parse(doc.createdAt));
        break;
      }
      await sleep(5);
    }
  }
  await stop(worker);
  await rj.tmp.cleanup();
  const bw = await bullWorker(redis, { CONCURRENCY: '1' });
  const queue = new Queue('bench', { connection: { host: '127.0.0.1', port: redis.port } });
  const bullTimes: number[] = [];
  for (let i = 0; i < n; i++) {
    // BullMQ's own timestamps are whole milliseconds; the worker logs sub-millisecond ones.
    const t0 = performance.timeOrigin + performance.now();
    const job = await queue.add('render', rj.request);
    const active = await bw.waitForLog((l) => l.msg === 'active' && l.id === job.id, 10_000);
    bullTimes.push(Number(active.at) - t0);
    await bw.waitForLog((l) => l.msg === 'job completed' && l.id === job.id, 10_000);
  }
  await stop(bw);
  await queue.obliterate({ force: true });
  await queue.close();
  return { rj: summarize(rjTimes), bull: summarize(bullTimes) };
}

async function throughput(redis: Redis, jobs: number, jobMs: number) {
  const rj = await rjSetup();
  for (let i = 0; i < jobs; i++) await enqueueJob(rj.deps, rj.request);
  const w = await startWorker({ ...rj.env, WORKER_CONCURRENCY: '50', RENDER_DELAY_MS: String(jobMs) });
  const t = performance.now();
  let done = 0;
  await w.waitForLog((l) => String(l.msg).startsWith('job completed') && ++done >= jobs, 600_000);
  const rjRate = jobs / ((performance.now() - t) / 1000);
  await stop(w);
  await rj.tmp.cleanup();

  const queue = new Queue('bench', { connection: { host: '127.0.0.1', port: redis.port } });
  await queue.addBulk(Array.from({ length: jobs }, () => ({ name: 'render', data: rj.request })));
  const bw = await bullWorker(redis, { CONCURRENCY: '50', JOB_MS: String(jobMs) });
  const tb = performance.now();
  let bdone = 0;
  await bw.waitForLog((l) => l.msg === 'job completed' && ++bdone >= jobs, 600_000);
  const bullRate = jobs / ((performance.now() - tb) / 1000);
  await stop(bw);
  await queue.obliterate({ force: true });
  await queue.close();
  return { rj: rjRate, bull: bullRate };
}

/** Two workers; the one running the job is SIGKILLed; time until the other starts the job. */
async function recovery(redis: Redis) {
  const rj = await rjSetup();
  const env = { ...rj.env, RENDER_DELAY_MS: '120000' };
  const [a, b] = await Promise.all([startWorker({ ...env, WORKER_ID: 'rj-a' }), startWorker({ ...env, WORKER_ID: 'rj-b' })]);
  const job = await enqueueJob(rj.deps, rj.request);
  let doc = null;
  while (!(doc = await readJob(rj.store, job.projectId, job.jobId))?.workerId) await sleep(20);
  const victim = doc.workerId === 'rj-a' ? a : b;
  const killedAt = Date.now();
  victim.child.kill('SIGKILL');
  while ((doc = await readJob(rj.store, job.projectId, job.jobId))!.attempts.length < 2) await sleep(50);
  const rjMs = Date.parse(doc!.attempts[1]!.startedAt) - killedAt;
  await Promise.all([a, b].map((p) => (p === victim ? p.exited : stop(p))));
  await rj.tmp.cleanup();

  const queue = new Queue('bench', { connection: { host: '127.0.0.1', port: redis.port } });
  const [ba, bb] = await Promise.all([bullWorker(redis, { JOB_MS: '120000' }), bullWorker(redis, { JOB_MS: '120000' })]);
  const added = await queue.add('render', rj.request);
  const first = await Promise.race([ba, bb].map((p) => p.waitForLog((l) => l.msg === 'active' && l.id === added.id, 30_000).then(() => p)));
  const other = first === ba ? bb : ba;
  const bullKilledAt = Date.now();
  first.child.kill('SIGKILL');
  const again = await other.waitForLog((l) => l.msg === 'active' && l.id === added.id, 180_000);
  const bullMs = Number(again.at) - bullKilledAt;
  await stop(other);
  await queue.obliterate({ force: true });
  await queue.close();
  return { rj: rjMs, bull: bullMs };
}

/** One render-jobs worker holding `n` five-second renders at once: peak memory, event-loop delay. */
export async function manyInFlight(n: number) {
  const rj = await rjSetup();
  for (let i = 0; i < n; i++) await enqueueJob(rj.deps, rj.request);
  const w = await startWorker({ ...rj.env, WORKER_CONCURRENCY: String(n), RENDER_DELAY_MS: '5000', LOG_LEVEL: 'warn' });
  let peakRss = 0;
  let peakRunning = 0;
  let health: { active: number; eventLoopDelayMs: { p50: number; p99: number; max: number } } | null = null;
  const t = performance.now();
  for (;;) {
    health = (await (await fetch(`${w.url}/healthz`)).json()) as typeof health;
    peakRss = Math.max(peakRss, rssMbOf(w.child.pid!));
    peakRunning = Math.max(peakRunning, health!.active);
    const docs = await Promise.all((await rj.store.list('jobs/bench/', { limit: 1000 })).items.map((i) => readJob(rj.store, 'bench', i.name.slice(0, -5))));
    if (docs.every((d) => d?.status === 'completed')) break;
    await sleep(200);
  }
  const seconds = (performance.now() - t) / 1000;
  await stop(w);
  await rj.tmp.cleanup();
  return { peakRss, peakRunning, seconds, eventLoopDelayMs: health!.eventLoopDelayMs };
}

export async function peerBench(quick: boolean) {
  console.log('\n== render-jobs (fs store) beside BullMQ 5 (local redis-server), same run ==');
  const redis = await startRedis();
  if (!redis) {
    console.log('redis-server not found: install it (apt-get install -y redis-server) to run this part.');
    return;
  }
  try {
    const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : '—');
    const enq = await enqueueLatency(redis, quick ? 200 : 1000);
    const pick = await pickupLatency(redis, quick ? 20 : 50);
    const noop = await throughput(redis, quick ? 300 : 2000, 0);
    const fifty = await throughput(redis, quick ? 300 : 1000, 50);
    const rec = await recovery(redis);
    console.log(
      table([
        {
          figure: 'enqueue latency p50 (in-process call)',
          'render-jobs': ms(enq.rj.p50),
          BullMQ: ms(enq.bull.p50),
          'render-jobs ÷ BullMQ': ratio(enq.rj.p50, enq.bull.p50),
        },
        { figure: 'enqueue latency p99', 'render-jobs': ms(enq.rj.p99), BullMQ: ms(enq.bull.p99), 'render-jobs ÷ BullMQ': ratio(enq.rj.p99, enq.bull.p99) },
        {
          figure: 'pickup latency p50 (created → started)',
          'render-jobs': ms(pick.rj.p50),
          BullMQ: ms(pick.bull.p50),
          'render-jobs ÷ BullMQ': ratio(pick.rj.p50, pick.bull.p50),
        },
        { figure: 'pickup latency p90', 'render-jobs': ms(pick.rj.p90), BullMQ: ms(pick.bull.p90), 'render-jobs ÷ BullMQ': ratio(pick.rj.p90, pick.bull.p90) },
        {
          figure: 'no-op jobs/s, concurrency 50',
          'render-jobs': noop.rj.toFixed(1),
          BullMQ: noop.bull.toFixed(1),
          'render-jobs ÷ BullMQ': ratio(noop.rj, noop.bull),
        },
        {
          figure: '50 ms jobs/s, concurrency 50',
          'render-jobs': fifty.rj.toFixed(1),
          BullMQ: fifty.bull.toFixed(1),
          'render-jobs ÷ BullMQ': ratio(fifty.rj, fifty.bull),
        },
        {
          figure: 'recovery after SIGKILL mid-job (kill → running again)',
          'render-jobs': ms(rec.rj),
          BullMQ: ms(rec.bull),
          'render-jobs ÷ BullMQ': ratio(rec.rj, rec.bull),
        },
      ]),
    );
  } finally {
    await redis.stop();
  }
  const many = await manyInFlight(200);
  console.log(
    `\nOne render-jobs worker, 200 five-second stub renders at once: peak ${many.peakRunning} running, peak RSS ${many.peakRss} MB, event-loop delay p50 ${many.eventLoopDelayMs.p50.toFixed(1)} ms / p99 ${many.eventLoopDelayMs.p99.toFixed(1)} ms / max ${many.eventLoopDelayMs.max.toFixed(1)} ms, all done in ${many.seconds.toFixed(1)} s`,
  );
}
