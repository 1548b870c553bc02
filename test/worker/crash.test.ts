// Real worker processes on one store (a folder, or the Supabase stand-in on a loopback port),
// killed for real.
import { parseQueueMarker } from '../../shared/store/keys.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../shared/errors.js';
import { enqueueJob } from '../../shared/queue/enqueue.js';
import { readJob } from '../../shared/job/job-docs.js';
import type { JobDocument } from '../../shared/job/document.js';
import { listAll, type ObjectStore } from '../../shared/store/object-store.js';
import { smallRequest } from '../helpers/concept.js';
import { testDeps } from '../helpers/deps.js';
import { type Proc, ROOT, startWorker, stop as stopWorker } from '../../scripts/processes.js';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { type ProcessStoreFixture, selectedProcessStores, tempDir } from '../helpers/stores.js';
import { until } from '../helpers/wait.js';

/** Jobs the test reads at once while it waits. */
const READERS = 4;

async function names(store: ObjectStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of listAll(store, prefix)) out.push(e.name);
  return out;
}

for (const [backend, make] of selectedProcessStores()) {
  describe(`worker processes (${backend})`, () => {
    let fx: ProcessStoreFixture;
    let store: ObjectStore;
    const procs: Proc[] = [];

    const workerEnv = (extra: Record<string, string> = {}) => ({
      ...fx.env,
      RENDER_DELAY_MS: '4000',
      LEASE_MS: '1500',
      HEARTBEAT_MS: '250',
      POLL_INTERVAL_MS: '100',
      CLAIM_SETTLE_MS: '100',
      ...extra,
    });

    async function spawn(extra: Record<string, string> = {}) {
      const p = await startWorker(workerEnv(extra));
      procs.push(p);
      return p;
    }

    /**
     * Waits until every job's document satisfies `done`. The jobs still waited for are read a few at
     * a time, not each in a loop of its own: thirty readers polling at once are a load of their own
     * on the real server (a third of its requests, p50 over 300 ms, the workers' claims queued
     * behind them).
     */
    async function waitForAll(refs: Array<{ projectId: string; jobId: string }>, done: (d: JobDocument) => boolean): Promise<JobDocument[]> {
      const seen = new Map<string, JobDocument | null>();
      const left = () =>
        refs.filter((r) => {
          const d = seen.get(r.jobId);
          return !d || !done(d);
        });
      const look = async (ref: { projectId: string; jobId: string }) => {
        // The test's own look can time out on a loaded machine: that says nothing about the workers,
        // so it is a look that found nothing new.
        const doc = await readJob(store, ref.projectId, ref.jobId).catch((err: unknown) => {
          if (err instanceof StoreUnavailableError) return seen.get(ref.jobId) ?? null;
          throw err;
        });
        seen.set(ref.jobId, doc);
      };
      await until(
        async () => {
          const pending = left();
          for (let i = 0; i < pending.length; i += READERS) await Promise.all(pending.slice(i, i + READERS).map(look));
          return left().length === 0;
        },
        20_000,
        `${refs.length === 1 ? `job ${refs[0]!.jobId}` : `${left().length} of ${refs.length} jobs`} state`,
      ).catch((err: unknown) => {
        // Where the first one waited for stood, so a failure on CI says why (a claim abandoned, a
        // lease lost, never found), and what the workers said of it.
        const ref = left()[0]!;
        const d = seen.get(ref.jobId);
        const where = d && { jobId: d.jobId, status: d.status, attempt: d.attempt, attempts: d.attempts, history: d.history.slice(-6) };
        const said = procs.flatMap((p) => p.lines.filter((l) => JSON.stringify(l).includes(ref.jobId)).slice(-10));
        throw new Error(`${(err as Error).message}; last seen: ${JSON.stringify(where)}; workers said: ${JSON.stringify(said)}`);
      });
      return refs.map((r) => seen.get(r.jobId)!);
    }

    const waitFor = async (ref: { projectId: string; jobId: string }, done: (d: JobDocument) => boolean) => (await waitForAll([ref], done))[0]!;

    beforeAll(async () => {
      fx = await make();
      store = fx.store;
    });
    afterEach(() => {
      for (const p of procs.splice(0)) p.child.kill('SIGKILL');
    });
    afterAll(() => fx.cleanup());

    describe('a worker killed with SIGKILL mid-render', () => {
      it('is replaced by another worker that finishes the job: one result, a sane attempt history', async () => {
        const a = await spawn({ WORKER_ID: 'worker-a' });
        const job = await enqueueJob(testDeps(store), smallRequest('crash'));
        await waitFor(job, (d) => d.status === 'processing' && d.workerId === 'worker-a' && d.progress > 5);
        a.child.kill('SIGKILL');
        expect((await a.exited).signal).toBe('SIGKILL');

        await spawn({ WORKER_ID: 'worker-b' });
        const done = await waitFor(job, (d) => d.status === 'completed');
        expect(done.workerId).toBe('worker-b');
        expect(done.attempts.map((x) => [x.attempt, x.workerId, x.outcome])).toEqual([
          [1, 'worker-a', 'lost'],
          [2, 'worker-b', 'completed'],
        ]);
        expect(await names(store, 'results/crash/')).toEqual([`${job.jobId}.png`]);
        expect(await names(store, `leases/${job.jobId}/`)).toEqual(['1', '2']);
        // The marker goes after the final write and the charge, so it may lag the document a little.
        await until(async () => (await store.list('queue/')).items.every((i) => parseQueueMarker(i.name)?.jobId !== job.jobId), 5_000, 'queue marker removed');
      });
    });

    describe('a worker stopped with SIGTERM mid-render', () => {
      it('finishes its job inside the drain window, then exits 0', async () => {
        const a = await spawn({ WORKER_ID: 'drainer', RENDER_DELAY_MS: '1500', WORKER_DRAIN_MS: '10000' });
        const job = await enqueueJob(testDeps(store), smallRequest('drain'));
        await waitFor(job, (d) => d.status === 'processing' && d.progress > 5);
        a.child.kill('SIGTERM');
        expect(await a.exited).toEqual({ code: 0, signal: null });
        const doc = await readJob(store, job.projectId, job.jobId);
        expect(doc).toMatchObject({ status: 'completed', workerId: 'drainer' });
      });

      it('hands the job back when the drain window is too short, and a new worker completes it', async () => {
        const a = await spawn({ WORKER_ID: 'old-deploy', WORKER_DRAIN_MS: '200' });
        const job = await enqueueJob(testDeps(store), smallRequest('redeploy'));
        await waitFor(job, (d) => d.status === 'processing' && d.progress > 5);
        a.child.kill('SIGTERM');
        expect(await a.exited).toEqual({ code: 0, signal: null });
        const back = await readJob(store, job.projectId, job.jobId);
        expect(back).toMatchObject({ status: 'pending', workerId: null });
        expect(back?.attempts.map((x) => x.outcome)).toEqual(['handed_back']);

        await spawn({ WORKER_ID: 'new-deploy', RENDER_DELAY_MS: '200' });
        const done = await waitFor(job, (d) => d.status === 'completed');
        expect(done.attempts.map((x) => [x.workerId, x.outcome])).toEqual([
          ['old-deploy', 'handed_back'],
          ['new-deploy', 'completed'],
        ]);
        expect(done.message).toBe('Render complete.');
      });
    });

    describe('a redeploy: the old worker gets SIGTERM while the new one starts', () => {
      it('loses nothing and doubles nothing: each job completes once, with one result and one charge', async () => {
        const ledgerDir = await tempDir('render-jobs-ledger-');
        const ledger = path.join(ledgerDir.dir, 'charges.log');
        writeFileSync(ledger, '');
        const charging = { CHARGE_HOOK_MODULE: path.join(ROOT, 'test/chaos/charge-ledger.ts'), CHAOS_CHARGE_LEDGER: ledger };
        const old = await spawn({ WORKER_ID: 'old-release', WORKER_DRAIN_MS: '300', WORKER_CONCURRENCY: '4', ...charging });
        const jobs = await Promise.all(Array.from({ length: 6 }, () => enqueueJob(testDeps(store), smallRequest('overlap'))));
        await until(
          async () => (await Promise.all(jobs.map((j) => readJob(store, j.projectId, j.jobId)))).filter((d) => d?.status === 'processing').length === 4,
          20_000,
          'four jobs running on the old worker',
        );
        // Railway starts the new deployment and stops the old one at the same moment.
        const [, next] = await Promise.all([
          (async () => {
            old.child.kill('SIGTERM');
            return old.exited;
          })(),
          spawn({ WORKER_ID: 'new-release', RENDER_DELAY_MS: '300', ...charging }),
        ]);
        expect(await old.exited).toEqual({ code: 0, signal: null });
        const done = await waitForAll(jobs, (d) => d.status === 'completed');
        for (const d of done) {
          expect(d.attempts.filter((a) => a.outcome === 'completed')).toHaveLength(1);
          expect(d.attempts.filter((a) => a.outcome === 'running' || a.outcome === 'lost')).toEqual([]);
        }
        // The four that were running on the old worker were handed back, not lost; the new one finished them.
        expect(done.filter((d) => d.attempts.some((a) => a.outcome === 'handed_back' && a.workerId === 'old-release'))).toHaveLength(4);
        expect(done.every((d) => d.workerId === 'new-release')).toBe(true);
        expect((await names(store, 'results/overlap/')).sort()).toEqual(jobs.map((j) => `${j.jobId}.png`).sort());
        // The ledger may also hold jobs other tests left in this store; ours are each in it once.
        const ours = new Set(jobs.map((j) => j.jobId));
        const charged = () =>
          readFileSync(ledger, 'utf8')
            .split('\n')
            .filter((id) => ours.has(id));
        await until(() => charged().length >= 6, 5_000, 'six charges');
        expect(charged().sort()).toEqual([...ours].sort());
        const all = readFileSync(ledger, 'utf8').split('\n').filter(Boolean);
        expect(new Set(all).size).toBe(all.length);
        await stopWorker(next);
        await ledgerDir.cleanup();
      });
    });

    describe('several worker processes sharing one store', () => {
      it('run every job exactly once between them', async () => {
        const deps = testDeps(store);
        // No crash here, so no short lease: with 1.5 s, a worker starved of CPU on a busy CI machine
        // really does lose its lease, and a second claim (correctly finding the job done) is made.
        // All three are listening before the jobs exist: started after them, the first two up could
        // drain the thirty before a slow third started (seen on CI).
        // The stub renderer: what is shared is the queue, not the drawing (from source, each worker's
        // one draw thread compiles its modules on first use and then draws four jobs in turn — a
        // first wave of 5–7 s for 100 ms renders on the real server, most of the test's time).
        await Promise.all(
          ['w1', 'w2', 'w3'].map((id) =>
            spawn({ WORKER_ID: id, RENDERER: 'stub', RENDER_DELAY_MS: '100', WORKER_CONCURRENCY: '4', POLL_INTERVAL_MS: '20', LEASE_MS: '10000' }),
          ),
        );
        const jobs = await Promise.all(Array.from({ length: 30 }, () => enqueueJob(deps, smallRequest('shared'))));
        const docs = await waitForAll(jobs, (d) => d.status === 'completed');
        for (const d of docs) {
          // On failure, each attempt's outcome and error say why there was a second (lost, retried).
          expect(d.attempts, JSON.stringify({ attempts: d.attempts, history: d.history.slice(-6) })).toHaveLength(1);
          expect((await store.list(`leases/${d.jobId}/`)).items.map((i) => i.name)).toEqual(['1']);
        }
        // All three took part (30 jobs of 100 ms, 4 at a time each: no single worker could take them all in time).
        expect(new Set(docs.map((d) => d.workerId)).size).toBe(3);
        expect((await names(store, 'results/shared/')).sort()).toEqual(jobs.map((j) => `${j.jobId}.png`).sort());
      });
    });
  });
}
