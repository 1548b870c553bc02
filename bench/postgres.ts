// `npm run bench -- --only postgres`: the Postgres store beside the fs store, in one run, on a
// throwaway Debian PostgreSQL on loopback (scripts/postgres.sh; fsync off, so this measures the
// queue and the round trips, not a disk). Pickup with no poke (notification only), no-op jobs/s
// of one worker process, statements per job, connections per worker and per API instance.
import { readFileSync } from 'node:fs';
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
import { benchDir, exampleBody, post } from './env.js';
import { ms, summarize, table } from './stats.js';

const round = (n: number) => Math.round(n * 100) / 100;

/** CPU time (user + system) a process has used so far: one core fully busy is 1 s per second. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}
const log = pino({ level: 'silent' });

interface Backend {
  name: string;
  schema?: string;
  store: ObjectStore;
  env: Record<string, string>;
  pg?: PostgresObjectStore;
  cleanup(): Promise<void>;
}

let schemas = 0;
async function postgresBackend(url: string): Promise<Backend> {
  const tmp = await benchDir();
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

async function fsBackend(): Promise<Backend> {
  const tmp = await benchDir();
  const dir = path.join(tmp.dir, 'jobs');
  return { name: 'fs', store: new FsObjectStore(dir), env: { STORE: 'fs', JOBS_DIR: dir }, cleanup: tmp.cleanup };
}

/** Statements this schema's store sent since the last call, by kind (pg_stat_statements). */
async function statements(pg: PostgresObjectStore, schema: string): Promise<Record<string, number>> {
  const c = await pg.client();
  try {
    await c.query('create extension if not exists pg_stat_statements');
    const { rows } = await c.query<{ query: string; calls: string }>('select query, calls from pg_stat_statements where query like $1', [
      `%"${schema}".objects%`,
    ]);
    await c.query('select pg_stat_statements_reset()');
    const byKind: Record<string, number> = {};
    for (const r of rows) {
      const kind = kindOf(r.query);
      byKind[kind] = (byKind[kind] ?? 0) + Number(r.calls);
    }
    return byKind;
  } finally {
    c.release();
  }
}

function kindOf(q: string): string {
  if (/^\s*select body/i.test(q)) return 'get';
  if (/^\s*select octet_length/i.test(q)) return 'stat';
  if (/^\s*insert[^]*do nothing/i.test(q)) return 'create';
  if (/^\s*insert/i.test(q)) return 'put';
  if (/^\s*delete/i.test(q)) return 'delete';
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

/** No-op jobs through one worker process: N queued beforehand, timed from its start to the N-th completion. */
async function throughput(b: Backend, jobs: number, concurrency: number) {
  await enqueueMany(b.store, jobs);
  if (b.pg) await statements(b.pg, b.schema!); // from here on
  // No global cap (its default, 20, would be the ceiling, not the store).
  const worker = await startWorker({ ...b.env, RENDERER: 'stub', WORKER_CONCURRENCY: String(concurrency), MAX_RUNNING: '0', MAX_RUNNING_PER_OWNER: '0' });
  const sampling = b.pg ? sampleConnections(b.pg) : null;
  const t = performance.now();
  let done = 0;
  await worker.waitForLog((l) => l.msg?.toString().startsWith('job completed') === true && ++done >= jobs, 300_000);
  const seconds = (performance.now() - t) / 1000;
  const connections = await sampling?.();
  const cpuS = cpuSeconds(worker.child.pid!);
  await stop(worker);
  const sent = b.pg ? await statements(b.pg, b.schema!) : null;
  return { jobsPerSecond: jobs / seconds, seconds, cpu: cpuS / seconds, connections: connections?.peak ?? null, perJob: sent && perJob(sent, jobs) };
}

/** created → started with no poke: the worker's poll is 60 s, so only a notification starts a job in time. */
async function pickup(b: Backend, jobs: number) {
  const worker = await startWorker({ ...b.env, RENDERER: 'stub', POLL_INTERVAL_MS: '60000' });
  await worker.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('due notifications: on'), 10_000);
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

export async function postgresBench(quick: boolean): Promise<void> {
  console.log('\n== Postgres store beside the fs store (same run; PostgreSQL 15 on loopback, fsync off) ==');
  const given = process.env.BENCH_DATABASE_URL;
  const cluster = given ? null : await startCluster();
  const url = given ?? cluster!.url;
  try {
    const pg = await postgresBackend(url);
    const p = await pickup(pg, quick ? 20 : 50);
    console.log('Pickup with no poke (createdAt → startedAt; the worker polls every 60 s, so only NOTIFY starts a job)');
    console.log(table([{ store: 'postgres (LISTEN/NOTIFY)', n: p.n, p50: ms(p.p50), p90: ms(p.p90), p99: ms(p.p99), max: ms(p.max) }]));
    await pg.cleanup();

    const jobs = quick ? 300 : 1000;
    console.log(`\nNo-op jobs through one worker process, concurrency 50 (stub renderer, ${jobs} jobs queued beforehand, no global cap)`);
    const rows = [];
    let workerStatements: Record<string, number> = {};
    const runs: Array<[string, () => Promise<Backend>]> = [
      ['fs', fsBackend],
      ['postgres (pool 4, the default)', () => postgresBackend(url)],
      [
        'postgres (DATABASE_POOL_MAX=10)',
        async () => {
          const b = await postgresBackend(url);
          return { ...b, env: { ...b.env, DATABASE_POOL_MAX: '10' } };
        },
      ],
    ];
    for (const [name, make] of runs) {
      const b = await make();
      const r = await throughput(b, jobs, 50);
      rows.push({
        store: name,
        'jobs/s': round(r.jobsPerSecond),
        seconds: round(r.seconds),
        'worker CPU': `${Math.round(r.cpu * 100)}%`,
        'statements/job (worker)': r.perJob?.total ?? '',
        'connections (peak)': r.connections ?? '',
      });
      if (r.perJob) workerStatements = r.perJob;
      await b.cleanup();
    }
    console.log(table(rows));
    console.log(`Worker statements per job, by kind: ${fmtPerJob(workerStatements)}`);

    const api = await postgresBackend(url);
    const c = await creates(api, quick ? 200 : 400);
    console.log('\nCreates through one API process (one function instance), 16 in flight');
    console.log(
      table([
        {
          store: 'postgres',
          n: c.n,
          p50: ms(c.p50),
          p90: ms(c.p90),
          p99: ms(c.p99),
          'statements/create': c.perJob.total!,
          'connections (peak)': c.connections,
        },
      ]),
    );
    await api.cleanup();
    console.log(`Create statements by kind: ${fmtPerJob(c.perJob)} (counted by pg_stat_statements; each runs on its own, no transactions)`);
  } finally {
    cluster?.stop();
  }
}
