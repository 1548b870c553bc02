// The claim loop on its own: it finds work without a poke, cleans up what crashed creates left,
// and never runs more than its concurrency.
import { describe, expect, it } from 'vitest';
import { enqueueJob } from '../../shared/queue/enqueue.js';
import { readJob } from '../../shared/job/job-docs.js';
import { claimJob } from '../../shared/queue/claim.js';
import { runJob } from '../../shared/runner/run-job.js';
import { keys, parseQueueMarker } from '../../shared/store/keys.js';
import { ClaimLoop } from '../../worker/claim-loop.js';
import { Pacing } from '../../worker/pacing.js';
import { smallRequest } from '../helpers/concept.js';
import { testDeps } from '../helpers/deps.js';
import { TimedProvider } from '../helpers/providers.js';
import { until } from '../helpers/wait.js';
import { selectedStores, useStore } from '../helpers/stores.js';

for (const [name, make] of selectedStores()) {
  describe(`claim loop (${name})`, () => {
    const fx = useStore(make);

    /** Runs the loop until every job completed; the most it had running at once. */
    async function runAll(loop: ClaimLoop, jobs: Array<{ projectId: string; jobId: string }>, store = fx.store): Promise<number> {
      let peak = 0;
      const sampler = setInterval(() => (peak = Math.max(peak, loop.activeCount)), 5);
      loop.start();
      await until(async () => (await Promise.all(jobs.map((j) => readJob(store, j.projectId, j.jobId)))).every((d) => d?.status === 'completed'));
      clearInterval(sampler);
      await loop.stop(1000);
      return peak;
    }

    it('picks up jobs nobody poked, never exceeding its concurrency', async () => {
      const provider = new TimedProvider(150);
      const deps = testDeps(fx.store);
      const jobs = await Promise.all(Array.from({ length: 6 }, () => enqueueJob(deps, smallRequest('unpoked'))));
      const loop = new ClaimLoop(deps, { workerId: 'w', concurrency: 2, provider });
      const peak = await runAll(loop, jobs);
      expect(provider.calls).toBe(6);
      expect(peak).toBe(2);
    });

    it('runs no more at once than its pacing allows, below its concurrency', async () => {
      // Renders long enough that the first claims' jobs still run when the last claims land.
      const provider = new TimedProvider(1000);
      const deps = testDeps(fx.store);
      const jobs = await Promise.all(Array.from({ length: 14 }, () => enqueueJob(deps, smallRequest('paced'))));
      // A clock that never moves: the pacing stays at its start, 8 of the 12 the worker may run.
      const pacing = new Pacing(12, () => 0);
      const loop = new ClaimLoop(deps, { workerId: 'w', concurrency: 12, provider, pacing });
      const peak = await runAll(loop, jobs);
      expect(provider.calls).toBe(14);
      expect(peak).toBe(8);
    });

    it('starts a poked job at once while paced work fills every slot the pacing allows and a listing hangs', async () => {
      const provider = new TimedProvider(30_000);
      // The queue's listings hang once the paced slots are full: a poked job must not wait for one.
      let hold: Promise<void> | null = null;
      let release = () => {};
      let held = 0;
      const store = Object.create(fx.store) as typeof fx.store;
      store.list = async (prefix, opts) => {
        if (prefix === keys.queueFolder && hold) {
          held++;
          await hold;
        }
        return fx.store.list(prefix, opts);
      };
      const deps = testDeps(store);
      await Promise.all(Array.from({ length: 10 }, () => enqueueJob(deps, smallRequest('backlog'), { ownerId: 'big' })));
      // A clock that never moves: the pacing stays at its start, 8 of the 12 the worker may run.
      const loop = new ClaimLoop(deps, { workerId: 'w', concurrency: 12, provider, pacing: new Pacing(12, () => 0) });
      loop.start();
      try {
        await until(() => loop.activeCount === 8, 10_000, 'the paced slots to fill');
        hold = new Promise<void>((r) => (release = r));
        await until(() => held > 0, 10_000, 'the loop to wait on a listing');
        const poked = await enqueueJob(deps, smallRequest('poked'), { ownerId: 'new' });
        loop.poke(poked);
        await until(async () => (await readJob(fx.store, poked.projectId, poked.jobId))?.status === 'processing', 10_000, 'the poked job to start');
        // Above the pacing's 8 by the poked job alone: the backlog's next jobs still wait.
        expect(loop.activeCount).toBe(9);
      } finally {
        release();
        await loop.stop(0);
      }
    });

    describe('beside another claimer', () => {
      // A store of its own: the oldest marker listed must be one of this test's jobs.
      const own = useStore(make);

      it('counts a race lost to another claimer and still runs every other job once', async () => {
        const provider = new TimedProvider(20);
        const store = Object.create(own.store) as typeof own.store;
        const deps = testDeps(store);
        const jobs = await Promise.all(Array.from({ length: 8 }, () => enqueueJob(deps, smallRequest('rival'))));
        // Another worker claims the oldest job between the loop's first listing and its claim.
        let rival: Promise<unknown> | null = null;
        store.list = async (prefix, opts) => {
          const page = await own.store.list(prefix, opts);
          const first = page.items[0] && parseQueueMarker(page.items[0].name);
          if (prefix === keys.queueFolder && !rival && first) {
            const outcome = await claimJob(testDeps(own.store), { projectId: first.projectId!, jobId: first.jobId }, { workerId: 'rival' });
            if (outcome.kind !== 'run') throw new Error(`the rival could not claim: ${outcome.kind}`);
            // Long enough that the loop's claim finds it running, not ended.
            rival = runJob(outcome.holder, { provider: new TimedProvider(1000) });
          }
          return page;
        };
        const loop = new ClaimLoop(deps, { workerId: 'w', concurrency: 2, provider });
        await runAll(loop, jobs, own.store);
        await rival;
        expect(loop.lostClaims).toBe(1);
        const docs = await Promise.all(jobs.map((j) => readJob(own.store, j.projectId, j.jobId)));
        expect(docs.filter((d) => d?.workerId === 'rival')).toHaveLength(1);
        expect(docs.filter((d) => d?.workerId === 'w')).toHaveLength(7);
        expect(docs.every((d) => d?.attempts.length === 1)).toBe(true);
        expect(provider.calls).toBe(7);
      });
    });

    it('removes an orphaned marker (a create that crashed before its document) once it is old', async () => {
      const deps = testDeps(fx.store);
      const old = keys.queueMarker(Date.now() - 5 * 60_000, 'orphanjob');
      const fresh = keys.queueMarker(Date.now() - 1000, 'justcreating');
      await fx.store.put(old, JSON.stringify({ projectId: 'gone' }));
      await fx.store.put(fresh, JSON.stringify({ projectId: 'gone' }));
      const loop = new ClaimLoop(deps, { workerId: 'w', concurrency: 1, provider: new TimedProvider(1) });
      loop.start();
      await until(async () => (await fx.store.get(old)) === null);
      await loop.stop(1000);
      expect(await fx.store.get(fresh)).not.toBeNull(); // could still be mid-create: left alone
    });

    it('removes the stale marker of a job that already finished', async () => {
      const deps = testDeps(fx.store);
      const job = await enqueueJob(deps, smallRequest('stale'));
      const loop = new ClaimLoop(deps, { workerId: 'w', concurrency: 1, provider: new TimedProvider(1) });
      loop.start();
      await until(async () => (await readJob(fx.store, job.projectId, job.jobId))?.status === 'completed');
      // As if the worker had crashed between completing and deleting its marker: the running marker
      // its claim wrote, due when the lease would have run out.
      const marker = (await readJob(fx.store, job.projectId, job.jobId))!.marker!;
      expect(marker).not.toBe(job.marker);
      await fx.store.put(marker, JSON.stringify({ projectId: job.projectId }));
      await until(async () => (await fx.store.get(marker)) === null);
      await loop.stop(1000);
    });
  });
}
