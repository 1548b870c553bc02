// The peers in `npm run bench -- --only postgres`: BullMQ 5 on a local Redis and BullMQ 6 on its
// own PostgreSQL backend (in a database of the bench's cluster), measured as the render-jobs rows
// are: no-op jobs/s of one worker process at concurrency 50 (jobs queued beforehand), create →
// started with nothing but the queue's own wake-up, store commands per job, and the connections of
// one worker and of one producer (what a function instance holds while it creates jobs).
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import type { Pool } from 'pg';
import { type Proc, startProcess, stop } from '../scripts/processes.js';
import { createPool } from '../shared/store/postgres/sql.js';
import { startRedis } from './peer/redis.js';
import { summarize } from './stats.js';

export interface PeerRow {
  jobsPerSecond: number;
  pickupP50: number;
  /** Redis commands or SQL statements per job, worker side (claim → completed). */
  perJob: number;
  workerConnections: number;
  producerConnections: number;
}

/** What the bench needs of a BullMQ producer, whichever major and backend. */
interface Producer {
  add(name: string, data: unknown): Promise<{ id?: string }>;
  addBulk(jobs: Array<{ name: string; data: unknown }>): Promise<unknown>;
  waitUntilReady(): Promise<unknown>;
  obliterate(opts: { force: boolean }): Promise<void>;
  close(): Promise<void>;
  on(event: 'error', fn: (err: Error) => void): unknown;
}

/**
 * One line for a peer's connection error. A BullMQ queue with no 'error' listener prints the whole
 * error object (with its pg client) to the console: BullMQ 6 on PostgreSQL did, for a pool connection
 * of its producer that the database drop at the end (`with (force)`) terminated (57P01).
 */
function warnOnError<T extends Producer>(name: string, producer: T): T {
  producer.on('error', (err) => console.warn(`${name}: ${err.message}${(err as { code?: string }).code ? ` (${(err as { code?: string }).code})` : ''}`));
  return producer;
}

/** The store-side counters a row reads: commands or statements so far, and connections now. */
interface Meter {
  sent(): Promise<number>;
  connections(): Promise<number>;
}

async function measure(opts: {
  quick: boolean;
  producer: () => Promise<Producer>;
  worker: (env: Record<string, string>) => Promise<Proc>;
  meter: Meter;
  data: unknown;
}): Promise<PeerRow> {
  const jobs = opts.quick ? 300 : 1000;
  // Producer connections: 16 creates in flight, as a function instance under load.
  const producer = await opts.producer();
  await producer.waitUntilReady();
  let producerConnections = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next++ < 200) {
        await producer.add('render', opts.data);
        if (next % 20 === 0) producerConnections = Math.max(producerConnections, await opts.meter.connections());
      }
    }),
  );
  await producer.obliterate({ force: true });

  // Throughput, with the worker's commands and connections.
  await producer.addBulk(Array.from({ length: jobs }, () => ({ name: 'render', data: opts.data })));
  await producer.close();
  const before = await opts.meter.sent();
  const worker = await opts.worker({ CONCURRENCY: '50' });
  const t = performance.now();
  let done = 0;
  let workerConnections = 0;
  const sampling = (async () => {
    while (done < jobs) {
      workerConnections = Math.max(workerConnections, await opts.meter.connections());
      await sleep(20);
    }
  })();
  await worker.waitForLog((l) => l.msg === 'job completed' && ++done >= jobs, 300_000);
  const jobsPerSecond = jobs / ((performance.now() - t) / 1000);
  await sampling;
  const perJob = ((await opts.meter.sent()) - before) / jobs;
  await stop(worker);

  // Pickup: one job at a time, the worker woken by the queue alone (BZPOPMIN on Redis, LISTEN on PostgreSQL).
  const idle = await opts.worker({ CONCURRENCY: '1' });
  const queue = await opts.producer();
  await queue.waitUntilReady();
  const times: number[] = [];
  for (let i = 0; i < (opts.quick ? 20 : 50); i++) {
    await sleep(Math.random() * 50);
    const t0 = performance.timeOrigin + performance.now();
    const job = await queue.add('render', opts.data);
    const active = await idle.waitForLog((l) => l.msg === 'active' && l.id === job.id, 10_000);
    times.push(Number(active.at) - t0);
    await idle.waitForLog((l) => l.msg === 'job completed' && l.id === job.id, 10_000);
  }
  await stop(idle);
  await queue.obliterate({ force: true });
  await queue.close();
  return { jobsPerSecond, pickupP50: summarize(times).p50, perJob, workerConnections, producerConnections };
}

/** BullMQ 5 on Debian's redis-server; null when it is not installed. */
export async function bullmqOnRedis(quick: boolean, data: unknown): Promise<PeerRow | null> {
  const redis = await startRedis();
  if (!redis) return null;
  const { Redis } = await import('ioredis');
  const admin = new Redis({ host: '127.0.0.1', port: redis.port });
  const info = async (section: string, field: string) => Number(new RegExp(`${field}:(\\d+)`).exec(await admin.info(section))![1]);
  try {
    return await measure({
      quick,
      data,
      producer: async () => warnOnError('BullMQ 5 producer', new Queue('bench', { connection: { host: '127.0.0.1', port: redis.port } })),
      worker: (env) => startProcess('bench/peer/bullmq-worker.ts', { REDIS_PORT: String(redis.port), ...env }),
      meter: {
        sent: () => info('stats', 'total_commands_processed'),
        connections: async () => (await info('clients', 'connected_clients')) - 1,
      },
    });
  } finally {
    admin.disconnect();
    await redis.stop();
  }
}

/** BullMQ 6 on its PostgreSQL backend, in a database of its own in the cluster at `url`. */
export async function bullmqOnPostgres(quick: boolean, data: unknown, url: string): Promise<PeerRow> {
  const db = 'bullmq_bench';
  const admin: Pool = await createPool({
    url,
    max: 1,
    timeoutMs: 10_000,
    name: 'render-jobs bench meter',
    onIdleError: (err) => console.warn(`bench meter connection: ${err.message}`),
  });
  await admin.query(`drop database if exists ${db} with (force)`);
  await admin.query(`create database ${db}`);
  await admin.query('create extension if not exists pg_stat_statements');
  const dbUrl = url.replace(/\/[^/]*$/, `/${db}`);
  const bullmq6 = await import('bullmq6');
  const connection = { connectionString: dbUrl, schema: 'bullmq', migrate: true, application_name: 'bullmq producer' };
  // Migrate once, outside the measurement.
  const first = warnOnError('BullMQ 6 producer', new bullmq6.Queue('bench', { connection }, bullmq6.createPostgresBackend));
  await first.waitUntilReady();
  await first.close();
  try {
    return await measure({
      quick,
      data,
      producer: async () => warnOnError('BullMQ 6 producer', new bullmq6.Queue('bench', { connection }, bullmq6.createPostgresBackend)),
      worker: (env) => startProcess('bench/peer/bullmq-worker.ts', { BULLMQ_PG_URL: dbUrl, ...env }),
      meter: {
        sent: async () =>
          Number(
            (
              await admin.query<{ n: string }>(
                'select coalesce(sum(calls), 0) as n from pg_stat_statements where dbid = (select oid from pg_database where datname = $1)',
                [db],
              )
            ).rows[0]!.n,
          ),
        connections: async () => Number((await admin.query<{ n: string }>('select count(*) as n from pg_stat_activity where datname = $1', [db])).rows[0]!.n),
      },
    });
  } finally {
    // A closed queue's connections linger a moment while their backends exit; dropped `with (force)`
    // at once, they were terminated mid-close (57P01 on the producer's pool). Wait for them first.
    const connected = async () => Number((await admin.query<{ n: string }>('select count(*) as n from pg_stat_activity where datname = $1', [db])).rows[0]!.n);
    for (const until = Date.now() + 5_000; Date.now() < until && (await connected().catch(() => 0)) > 0; ) await sleep(50);
    await admin.query(`drop database if exists ${db} with (force)`).catch(() => undefined);
    await admin.end();
  }
}
