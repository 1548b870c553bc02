// Pickup without scanning (STORE=postgres): a real worker process is woken by NOTIFY when a job is
// created, long before its poll would find it, and keeps being woken after its LISTEN connection
// is killed. Runs on Postgres whatever STORE says (it is a Postgres feature).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueJob } from '../../shared/queue/enqueue.js';
import { readJob } from '../../shared/job/job-docs.js';
import { type Proc, startWorker } from '../../scripts/processes.js';
import { smallRequest } from '../helpers/concept.js';
import { testDeps } from '../helpers/deps.js';
import { type PostgresFixture, postgresFixture } from '../helpers/postgres.js';
import { until } from '../helpers/wait.js';

/** Far longer than any wait below: a job that starts in time was woken, not polled. */
const POLL_INTERVAL_MS = 60_000;

describe('a worker on Postgres, woken by LISTEN/NOTIFY', () => {
  let fx: PostgresFixture;
  let worker: Proc;

  const listeners = async () => {
    const c = await fx.store.client();
    try {
      const { rows } = await c.query<{ pid: number }>('select pid from pg_stat_activity where application_name = $1', [`render-jobs ${fx.schema}_due`]);
      return rows.map((r) => r.pid);
    } finally {
      c.release();
    }
  };

  const createAndTimeStart = async (tag: string) => {
    const created = Date.now();
    const job = await enqueueJob(testDeps(fx.store), smallRequest(tag)); // no poke
    await until(async () => (await readJob(fx.store, job.projectId, job.jobId))?.status !== 'pending', 5_000, `job ${tag} started`);
    return Date.now() - created;
  };

  beforeAll(async () => {
    fx = await postgresFixture();
    worker = await startWorker({ ...fx.env, POLL_INTERVAL_MS: String(POLL_INTERVAL_MS), RENDER_DELAY_MS: '0', LOG_LEVEL: 'info' });
    await worker.waitForLog((l) => l.msg === 'due notifications: on (the poll stays as the backstop)');
  });
  afterAll(async () => {
    worker?.child.kill('SIGKILL');
    await fx?.cleanup();
  });

  it('starts a job nobody poked well within the poll interval', async () => {
    expect(await createAndTimeStart('notified')).toBeLessThan(3_000);
  });

  it('reconnects after its LISTEN connection is killed, logs it, and is woken again', async () => {
    const [before] = await listeners();
    expect(before).toBeDefined();
    const c = await fx.store.client();
    await c.query('select pg_terminate_backend($1)', [before]).finally(() => c.release());
    await worker.waitForLog((l) => l.msg === 'due notifications: connection lost; pickup falls back to the poll until it is back', 5_000);
    await worker.waitForLog((l) => l.msg === 'due notifications: listening again', 10_000);
    const after = await listeners();
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(before);
    expect(await createAndTimeStart('after-reconnect')).toBeLessThan(3_000);
  });
});
