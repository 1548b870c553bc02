// `npm run bench -- --only postgres`: the Postgres store beside the fs store, the Supabase store
// (its stand-in served on loopback), BullMQ on Redis and BullMQ 6 on PostgreSQL, in one run, on a
// throwaway Debian PostgreSQL on loopback (scripts/postgres.sh; fsync off, so this measures the
// queue and the round trips, not a disk). No-op jobs/s of one worker process at concurrency 50,
// pickup with no poke, statements (requests) per job, connections per worker and per function
// instance; then pickup with 20,000 jobs waiting.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { RenderRequest } from '../shared/job/request.js';
import { enqueueJob } from '../shared/queue/enqueue.js';
import { readJob } from '../shared/job/job-docs.js';
import { loadConfig } from '../shared/config.js';
import { FsObjectStore } from '../shared/store/fs-store.js';
import type { ObjectStore } from '../shared/store/object-store.js';
import { PostgresObjectStore } from '../shared/store/postgres-store.js';
import { migrate } from '../shared/store/postgres/schema.js';
import { startCluster } from '../scripts/postgres-cluster.js';
import { startApiProcess, startWorker, stop } from '../scripts/processes.js';
import { newJobDocument } from '../shared/queue/enqueue.js';
import { markerOf } from '../shared/queue/markers.js';
import { keys } from '../shared/store/keys.js';
import { newJobId } from '../shared/ids.js';
import { servedSupabase } from '../test/helpers/stores.js';
import type { SupabaseStorageStandIn } from '../test/stand-ins/supabase-storage.js';
import { benchDir, exampleBody, post } from './env.js';
import { bullmqOnPostgres, bullmqOnRedis, type PeerRow } from './peers.js';
import { ms, summarize, table } from './stats.js';

const round = (n: number) => Math.round(n * 100) / 100;

/** CPU time (user + system) a process has used so far: one core fully busy is 1 s per second. */
function cpuSeconds(pid: number, only?: 'system'): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  if (only === 'system') return Number(fields[12]) / 100;
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}
const log = pino({ level: 'silent' });

interface Backend {
  name: string;
  schema?: string;
  store: ObjectStore;
  env: Record<string, string>;
  pg?: PostgresObjectStore;
  standIn?: SupabaseStorageStandIn;
  cleanup(): Promise<void>;
}

/**
 * Where the Postgres rows keep images: BENCH_ASSETS_DIR, else memory (/dev/shm) where there is one.
 * In production they go to the Supabase assets bucket, not a local disk; here /tmp is an ext4 that
 * the test suites churn, where creating a file cost up to ~1 ms of kernel CPU (perf: inode
 * allocation skipping recently deleted inodes, threads spinning on the folder's lock) — half the
 * worker's CPU a job, measuring the disk, not the queue.
 */
const assetsParent = () => process.env.BENCH_ASSETS_DIR ?? (existsSync('/dev/shm') ? '/dev/shm' : undefined);

let schemas = 0;
export async function postgresBackend(url: string): Promise<Backend> {
  const tmp = await benchDir(assetsParent());
  const schema = `bench_${process.pid}_${schemas++}`;
  const pg = new PostgresObjectStore({
    url,
    schema,
    poolMax: 8,
    timeoutMs: 10_000,
    retries: 3,
    assets: new FsObjectStore(path.join(tmp.dir, 'assets')),
    connectionName: 'render-jobs bench',
  });
  const c = await pg.client();
  await migrate(c, schema).finally(() => c.release());
  const env = { STORE: 'postgres', DATABASE_URL: url, DATABASE_SCHEMA: schema, JOBS_DIR: path.join(tmp.dir, 'assets') };
  return { name: 'postgres', schema, store: pg, pg, env, cleanup: async () => (await pg.close(), await tmp.cleanup()) };
}

async function supabaseBackend(): Promise<Backend> {
  const fx = await servedSupabase({ atomicCreate: true });
  return { name: 'supabase', store: fx.store, env: { ...fx.env, STORE_TIMEOUT_MS: '10000' }, standIn: fx.standIn, cleanup: fx.cleanup };
}

export async function fsBackend(): Promise<Backend> {
  const tmp = await benchDir();
  const dir = path.join(tmp.dir, 'jobs');
  return { name: 'fs', store: new FsObjectStore(dir), env: { STORE: 'fs', JOBS_DIR: dir }, cleanup: tmp.cleanup };
}

/** Server time (ms) spent executing this schema's statements in the last `statements` interval, by kind. */
export let lastExecMs: Record<string, number> = {};

/** Statements this schema's store sent since the last call, by kind (pg_stat_statements). */
async function statements(pg: PostgresObjectStore, schema: string): Promise<Record<string, number>> {
  const c = await pg.client();
  try {
    await c.query('create extension if not exists pg_stat_statements');
    const { rows } = await c.query<{ query: string; calls: string; ms: number }>(
      'select query, calls, total_exec_time as ms from pg_stat_statements where query like $1',
      [`%"${schema}".objects%`],
    );
    await c.query('select pg_stat_statements_reset()');
    const byKind: Record<string, number> = {};
    lastExecMs = {};
    for (const r of rows) {
      const kind = kindOf(r.query);
      byKind[kind] = (byKind[kind] ?? 0) + Number(r.calls);
      lastExecMs[kind] = (lastExecMs[kind] ?? 0) + r.ms;
    }
    return byKind;
  } finally {
    c.release();
  }
}

function kindOf(q: string): string {
  if (/^\s*select (key, )?body/i.test(q)) return 'get';
  if (/^\s*select octet_length/i.test(q)) return 'stat';
  if (/^\s*insert[^]*do nothing/i.test(q)) return 'create';
  if (/^\s*insert/i.test(q)) return 'put';
  if (/^\s*delete/i.test(q)) return 'delete';
  if (/^\s*update/i.test(q)) return 'move';
  if (/^\s*select name/i.test(q)) return 'list';
  if (/^\s*with recursive/i.test(q)) return 'folders';
  return 'other';
}

const total = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
const perJob = (o: Record<string, number>, n: number) =>
  Object.fromEntries([...Object.entries(o), ['total', total(o)]].map(([k, v]) => [k, round((v as number) / n)]));
const fmtPerJob = (o: Record<string, number>) =>
  Object.entries(o)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');

/** Peak connections of the process under test (its pool and its LISTEN), sampled every 20 ms until stopped. */
function sampleConnections(pg: PostgresObjectStore) {
  let peak = 0;
  let samples = 0;
  let on = true;
  const done = (async () => {
    while (on) {
      const c = await pg.client();
      const { rows } = await c
        .query<{ n: string }>("select count(*) as n from pg_stat_activity where application_name = 'render-jobs' or application_name like 'render-jobs %_due'")
        .finally(() => c.release());
      samples++;
      peak = Math.max(peak, Number(rows[0]!.n));
      await sleep(20);
    }
  })();
  return async () => {
    on = false;
    await done;
    return { peak: Math.max(0, peak), samples };
  };
}

async function enqueueMany(store: ObjectStore, n: number): Promise<void> {
  const request = RenderRequest.parse(JSON.parse(await exampleBody()));
  const deps = { store, queue: loadConfig({}).queue, log, now: Date.now };
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next++ < n) await enqueueJob(deps, request);
    }),
  );
}

const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

/** The share of all cores busy (any process) from now until the returned function is called. */
function machineCpu(): () => number {
  const read = () => {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = f[3]! + f[4]!;
    return { idle, total: f.reduce((a, b) => a + b, 0) };
  };
  const a = read();
  return () => {
    const b = read();
    return 1 - (b.idle - a.idle) / (b.total - a.total);
  };
}

/** CPU seconds used so far by every process named `postgres` (the server's backends; any cluster on this machine). */
function postgresCpuSeconds(): number {
  let total = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (!stat.includes('(postgres)')) continue;
      const f = stat.split(') ')[1]!.split(' ');
      total += (Number(f[11]) + Number(f[12])) / 100;
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

/** No-op jobs through one worker process: N queued beforehand, timed from its start to the N-th completion. */
export async function throughput(b: Backend, jobs: number, concurrency: number, compiled?: string) {
  const enqueueCpu = process.cpuUsage();
  const enqueueStart = performance.now();
  await enqueueMany(b.store, jobs);
  const created = { perSecond: jobs / ((performance.now() - enqueueStart) / 1000), cpuMs: cpuMs(process.cpuUsage(enqueueCpu)) / jobs };
  if (b.pg) await statements(b.pg, b.schema!); // from here on
  const requestsBefore = b.standIn?.totalRequests ?? 0;
  // No global cap (its default, 20, would be the ceiling, not the store).
  const worker = await startWorker(
    { ...b.env, RENDERER: 'stub', WORKER_CONCURRENCY: String(concurrency), MAX_RUNNING: '0', MAX_RUNNING_PER_OWNER: '0' },
    compiled,
  );
  const sampling = b.pg ? sampleConnections(b.pg) : null;
  const t = performance.now();
  const benchCpu = process.cpuUsage();
  const workerCpuBefore = cpuSeconds(worker.child.pid!);
  const workerSysBefore = cpuSeconds(worker.child.pid!, 'system');
  const machine = machineCpu();
  const serverBefore = postgresCpuSeconds();
  // The second half alone as well: a fresh worker spends a good part of its first seconds compiling
  // (perf: a quarter of its CPU in V8's optimising compiler over a 3,000-job run), which a worker
  // that has been up for a while no longer does.
  let done = 0;
  const isCompletion = (l: Record<string, unknown>) => l.msg?.toString().startsWith('job completed') === true;
  await worker.waitForLog((l) => isCompletion(l) && ++done >= Math.floor(jobs / 2), 300_000);
  const half = { t: performance.now(), cpuS: cpuSeconds(worker.child.pid!) };
  done = 0; // the lines so far are counted again, from the first
  await worker.waitForLog((l) => isCompletion(l) && ++done >= jobs, 300_000);
  const seconds = (performance.now() - t) / 1000;
  const secondHalf = { seconds: (performance.now() - half.t) / 1000, cpuS: cpuSeconds(worker.child.pid!) - half.cpuS, jobs: jobs - Math.floor(jobs / 2) };
  const machineBusy = machine();
  const serverCpu = (postgresCpuSeconds() - serverBefore) / seconds;
  const { user, system } = process.cpuUsage(benchCpu);
  const connections = await sampling?.();
  const cpuS = cpuSeconds(worker.child.pid!) - workerCpuBefore;
  const sysS = cpuSeconds(worker.child.pid!, 'system') - workerSysBefore;
  await stop(worker);
  const sent = b.pg ? await statements(b.pg, b.schema!) : b.standIn ? { requests: b.standIn.totalRequests - requestsBefore } : null;
  return {
    jobsPerSecond: jobs / seconds,
    seconds,
    secondHalf: { jobsPerSecond: secondHalf.jobs / secondHalf.seconds, cpuMsPerJob: (secondHalf.cpuS * 1000) / secondHalf.jobs },
    created,
    cpu: cpuS / seconds,
    systemShare: sysS / cpuS,
    benchCpu: (user + system) / 1e6 / seconds,
    machineBusy,
    serverCpu,
    connections: connections?.peak ?? null,
    perJob: sent && perJob(sent, jobs),
  };
}

/**
 * created → started with no poke. On Postgres the worker's poll is 60 s, so only a notification
 * starts a job in time; the other stores have none, so their default 1 s poll does.
 */
export async function pickup(b: Backend, jobs: number) {
  const worker = await startWorker({ ...b.env, RENDERER: 'stub', POLL_INTERVAL_MS: b.pg ? '60000' : '1000' });
  if (b.pg) await worker.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('due notifications: on'), 10_000);
  const request = RenderRequest.parse(JSON.parse(await exampleBody()));
  const deps = { store: b.store, queue: loadConfig({}).queue, log, now: Date.now };
  const times: number[] = [];
  for (let i = 0; i < jobs; i++) {
    await sleep(Math.random() * 50);
    const job = await enqueueJob(deps, request);
    for (;;) {
      const doc = await readJob(b.store, job.projectId, job.jobId);
      if (doc?.startedAt) {
        times.push(Date.parse(doc.startedAt) - Date.parse(doc.createdAt));
        break;
      }
      await sleep(2);
    }
  }
  await stop(worker);
  return summarize(times);
}

/** Creates through one API process (one function instance), 16 in flight: its connections and statements. */
async function creates(b: Backend, n: number) {
  const api = await startApiProcess({ ...b.env, RENDERER: 'stub', WORKER_URL: 'none', CREATE_RATE_PER_MINUTE: '0' });
  const body = await exampleBody();
  await statements(b.pg!, b.schema!);
  const sampling = sampleConnections(b.pg!);
  const times: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next++ < n) {
        const t = performance.now();
        const res = await post(`${api.url}/api/jobs/render`, body);
        await res.arrayBuffer();
        if (res.status !== 202) throw new Error(`create answered ${res.status}`);
        times.push(performance.now() - t);
      }
    }),
  );
  const connections = await sampling();
  await stop(api);
  const sent = await statements(b.pg!, b.schema!);
  return { ...summarize(times), connections: connections.peak, perJob: perJob(sent, n) };
}

/**
 * `n` jobs waiting that are not yet due (scheduled an hour ahead: retries after a backoff, jobs
 * created with a delay), written straight into the table in a few bulk inserts: markers and
 * documents as enqueueJob writes them, before any worker listens (no notifications to deliver).
 */
async function seedWaiting(b: Backend, n: number): Promise<void> {
  const request = RenderRequest.parse(JSON.parse(await exampleBody()));
  const deps = { queue: loadConfig({}).queue };
  const later = Date.now() + 3_600_000;
  const c = await b.pg!.client();
  try {
    for (let i = 0; i < n; i += 2_000) {
      const rows: Array<[string, string]> = [];
      for (let j = i; j < Math.min(n, i + 2_000); j++) {
        const doc = newJobDocument(deps, request, later + j, { jobId: newJobId(later + j) });
        rows.push([markerOf(doc), JSON.stringify({ projectId: doc.projectId })], [keys.job(doc.projectId, doc.jobId), JSON.stringify(doc)]);
      }
      await c.query(
        `insert into "${b.schema}".objects (key, body, content_type) select k, convert_to(v, 'UTF8'), 'application/json' from unnest($1::text[], $2::text[]) as t(k, v)`,
        [rows.map((r) => r[0]), rows.map((r) => r[1])],
      );
    }
  } finally {
    c.release();
  }
}

export async function postgresBench(quick: boolean): Promise<void> {
  console.log(
    '\n== render-jobs on Postgres beside the fs store, the Supabase store (stand-in), BullMQ 5 on Redis and BullMQ 6 on PostgreSQL (same run; PostgreSQL 15 on loopback, fsync off) ==',
  );
  const given = process.env.BENCH_DATABASE_URL;
  const cluster = given ? null : await startCluster();
  const url = given ?? cluster!.url;
  const jobs = quick ? 300 : 1000;
  const picks = quick ? 20 : 50;
  const request = RenderRequest.parse(JSON.parse(await exampleBody()));
  try {
    const rows: Array<Record<string, string | number>> = [];
    const row = (queue: string, r: { jobsPerSecond: number; pickupP50: number; perJob: string | number; worker: string | number; fn: string | number }) =>
      rows.push({
        queue,
        'no-op jobs/s (1 worker, conc. 50)': round(r.jobsPerSecond),
        'create → started p50 (no poke)': ms(r.pickupP50),
        'per job (worker)': r.perJob,
        'connections: worker': r.worker,
        'connections: function instance': r.fn,
      });

    let pg = await postgresBackend(url);
    const emptyPickup = await pickup(pg, picks);
    await pg.cleanup();
    pg = await postgresBackend(url);
    const pgRun = await throughput(pg, jobs, 50);
    await pg.cleanup();
    const api = await postgresBackend(url);
    const c = await creates(api, quick ? 200 : 400);
    await api.cleanup();
    row('render-jobs, Postgres store', {
      jobsPerSecond: pgRun.jobsPerSecond,
      pickupP50: emptyPickup.p50,
      perJob: `${pgRun.perJob!.total} statements`,
      worker: pgRun.connections ?? '',
      fn: c.connections,
    });

    for (const [name, make] of [
      ['render-jobs, fs store', fsBackend],
      ['render-jobs, Supabase store (stand-in)', supabaseBackend],
    ] as const) {
      let b = await make();
      const p = await pickup(b, quick ? 8 : 20);
      await b.cleanup();
      b = await make();
      const r = await throughput(b, jobs, 50);
      await b.cleanup();
      row(name, {
        jobsPerSecond: r.jobsPerSecond,
        pickupP50: p.p50,
        perJob: r.perJob ? `${r.perJob.total} requests` : '— (files)',
        worker: r.perJob ? '— (HTTP)' : '—',
        fn: r.perJob ? '— (HTTP)' : '—',
      });
    }

    const peer = (name: string, r: PeerRow | null, unit: string) =>
      r
        ? row(name, {
            jobsPerSecond: r.jobsPerSecond,
            pickupP50: r.pickupP50,
            perJob: `${round(r.perJob)} ${unit}`,
            worker: r.workerConnections,
            fn: r.producerConnections,
          })
        : rows.push({ queue: `${name}: redis-server not installed (apt-get install -y redis-server)` });
    peer('BullMQ 5.81, Redis 7', await bullmqOnRedis(quick, request), 'commands');
    peer('BullMQ 6.7, its PostgreSQL backend', await bullmqOnPostgres(quick, request, url), 'statements');

    console.log(table(rows.map((r) => ({ ...Object.fromEntries(Object.keys(rows[0]!).map((k) => [k, ''])), ...r }))));
    console.log(
      `No poke: render-jobs on Postgres is woken by NOTIFY (its poll set to 60 s); fs and Supabase have no notification, so their 1 s poll picks up; BullMQ waits in BZPOPMIN (Redis) or LISTEN (PostgreSQL).`,
    );
    console.log(`render-jobs Postgres worker statements per job, by kind: ${fmtPerJob(pgRun.perJob!)}`);
    console.log(
      `render-jobs Postgres creates (one API process, 16 in flight): ${c.perJob.total} statements each, p50 ${ms(c.p50)}; by kind: ${fmtPerJob(c.perJob)}`,
    );

    const waiting = quick ? 5_000 : 20_000;
    const backlog = await postgresBackend(url);
    const t = performance.now();
    await seedWaiting(backlog, waiting);
    const seeded = performance.now() - t;
    const full = await pickup(backlog, picks);
    await backlog.cleanup();
    console.log(
      `\nPickup with ${waiting.toLocaleString('en')} jobs waiting (not yet due; seeded in ${(seeded / 1000).toFixed(1)} s): p50 ${ms(full.p50)}, p90 ${ms(full.p90)} — empty queue p50 ${ms(emptyPickup.p50)} (${(full.p50 / emptyPickup.p50).toFixed(2)}×)`,
    );
  } finally {
    cluster?.stop();
  }
}
