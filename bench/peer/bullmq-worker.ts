// A BullMQ worker process for the side-by-side bench: the peer's defaults (30 s lock, stalled
// check every 30 s), a handler that sleeps JOB_MS, and JSON log lines the bench reads.
import { Worker } from 'bullmq';

const port = Number(process.env.REDIS_PORT);
const jobMs = Number(process.env.JOB_MS ?? 0);
// Sub-millisecond epoch time: a pickup on Redis takes well under a millisecond.
const log = (line: Record<string, unknown>) => process.stdout.write(JSON.stringify({ at: performance.timeOrigin + performance.now(), ...line }) + '\n');

const worker = new Worker(
  'bench',
  async (job) => {
    log({ msg: 'active', id: job.id });
    if (jobMs > 0) await new Promise((r) => setTimeout(r, jobMs));
    return null;
  },
  { connection: { host: '127.0.0.1', port }, concurrency: Number(process.env.CONCURRENCY ?? 1) },
);
worker.on('completed', (job) => log({ msg: 'job completed', id: job.id }));
await worker.waitUntilReady();
log({ msg: 'bullmq worker listening', port: 0 });
process.on('SIGTERM', () => void worker.close().then(() => process.exit(0)));
