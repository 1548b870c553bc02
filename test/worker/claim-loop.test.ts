// The claim loop on its own: it finds work without a poke, cleans up what crashed creates left,
// and never runs more than its concurrency.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueJob } from '../../shared/queue/enqueue.js';
import { readJob } from '../../shared/queue/job-docs.js';
import { keys } from '../../shared/store/keys.js';
import type { ObjectStore } from '../../shared/store/object-store.js';
import { ClaimLoop } from '../../worker/claim-loop.js';
import { smallRequest } from '../helpers/concept.js';
import { testDeps } from '../helpers/deps.js';
import { TimedProvider } from '../helpers/providers.js';
import { selectedStores, type StoreFixture } from '../helpers/stores.js';

async function until(check: () => Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

for (const [name, make] of selectedStores()) {
  describe(`claim loop (${name})`, () => {
    let fixture: StoreFixture;
    let store: ObjectStore;
    beforeAll(async () => {
      fixture = await make();
      store = fixture.store;
    });
    afterAll(() => fixture.cleanup());

    it('picks up jobs nobody poked, never exceeding its concurrency', async () => {
      const provider = new TimedProvider(150);
      const deps = testDeps(store);
      const jobs = await Promise.all(Array.from({ length: 6 }, () => enqueueJob(deps, smallRequest('unpoked'))));
      const loop = new ClaimLoop(deps, { workerId: 'w', concurrency: 2, provider });
      let peak = 0;
      const sampler = setInterval(() => (peak = Math.max(peak, loop.activeCount)), 5);
      loop.start();
      await until(async () => (await Promise.all(jobs.map((j) => readJob(store, j.projectId, j.jobId)))).every((d) => d?.status === 'completed'));
      clearInterval(sampler);
      await loop.stop(1000);
      expect(provider.calls).toBe(6);
      expect(peak).toBe(2);
    });

    it('removes an orphaned marker (a create that crashed before its document) once it is old', async () => {
      const deps = testDeps(store);
      const old = keys.queueMarker(Date.now() - 5 * 60_000, 'orphanjob');
      const fresh = keys.queueMarker(Date.now() - 1000, 'justcreating');
      await store.put(old, JSON.stringify({ projectId: 'gone' }));
      await store.put(fresh, JSON.stringify({ projectId: 'gone' }));
      const loop = new ClaimLoop(deps, { workerId: 'w', concurrency: 1, provider: new TimedProvider(1) });
      loop.start();
      await until(async () => (await store.get(old)) === null);
      await loop.stop(1000);
      expect(await store.get(fresh)).not.toBeNull(); // could still be mid-create: left alone
    });

    it('removes the stale marker of a job that already finished', async () => {
      const deps = testDeps(store);
      const job = await enqueueJob(deps, smallRequest('stale'));
      const marker = keys.queueMarker(Date.parse(job.runAfter), job.jobId);
      const loop = new ClaimLoop(deps, { workerId: 'w', concurrency: 1, provider: new TimedProvider(1) });
      loop.start();
      await until(async () => (await readJob(store, job.projectId, job.jobId))?.status === 'completed');
      // As if the worker had crashed between completing and deleting its marker.
      await store.put(marker, JSON.stringify({ projectId: job.projectId }));
      await until(async () => (await store.get(marker)) === null);
      await loop.stop(1000);
    });
  });
}
