// A BullMQ worker process for the side-by-side benches: the peer's defaults (30 s lock, stalled
// check every 30 s), a handler that sleeps JOB_MS, and JSON log lines the bench reads. On Redis
// (REDIS_PORT, bullmq 5) or on PostgreSQL (BULLMQ_PG_URL, bullmq 6's own Postgres backend).
import { Worker } from 'bullmq';

const jobMs = Number(process.env.JOB_MS ?? 0);
const concurrency = Number(process.env.CONCURRENCY ?? 1);
// Sub-millisecond epoch time: a pickup on Redis takes well under a millisecond.
const log = (line: Record<string, unknown>) => process.stdout.write(JSON.stringify({ at: performance.timeOrigin + performance.now(), ...line }) + '\n');
const handler = async (job: { id?: string }) => {
  log({ msg: 'active', id: job.id });
  if (jobMs > 0) await new Promise((r) => setTimeout(r, jobMs));
  return null;
};

interface PeerWorker {
  on(event: 'completed', fn: (job: { id?: string }) => void): unknown;
  waitUntilReady(): Promise<unknown>;
  close(): Promise<void>;
}
let worker: PeerWorker;
if (process.env.BULLMQ_PG_URL) {
  const bullmq6 = await import('bullmq6');
  const connection = { connectionString: process.env.BULLMQ_PG_URL, schema: process.env.BULLMQ_PG_SCHEMA ?? 'bullmq', application_name: 'bullmq worker' };
  worker = new bullmq6.Worker('bench', handler, { connection, concurrency }, bullmq6.createPostgresBackend);
} else {
  worker = new Worker('bench', handler, { connection: { host: '127.0.0.1', port: Number(process.env.REDIS_PORT) }, concurrency });
}
worker.on('completed', (job) => log({ msg: 'job completed', id: job.id }));
await worker.waitUntilReady();
log({ msg: 'bullmq worker listening', port: 0 });
process.on('SIGTERM', () => void worker.close().then(() => process.exit(0)));
