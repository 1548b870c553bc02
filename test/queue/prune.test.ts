// Retention: expired finished jobs go with everything they own; nothing live or young is touched;
// a prune cut short by its deadline leaves nothing half-deleted that the next one cannot finish.
import { describe, expect, it } from 'vitest';
import { claimJob } from '../../shared/queue/claim.js';
import { enqueueJob } from '../../shared/queue/enqueue.js';
import { complete, fail } from '../../shared/queue/finish.js';
import { readJob } from '../../shared/queue/job-docs.js';
import { pruneExpired } from '../../shared/queue/prune.js';
import { keys } from '../../shared/store/keys.js';
import { listAll } from '../../shared/store/object-store.js';
import { smallRequest } from '../helpers/concept.js';
import { TestClock, testDeps } from '../helpers/deps.js';
import { selectedStores, useStore } from '../helpers/stores.js';

const DAY = 24 * 60 * 60 * 1000;

for (const [name, make] of selectedStores()) {
  describe(`prune (${name})`, () => {
    const fx = useStore(make);

    async function finishedJob(deps: ReturnType<typeof testDeps>, projectId: string, how: 'completed' | 'failed') {
      const job = await enqueueJob(deps, smallRequest(projectId));
      const claim = await claimJob(deps, job, { workerId: 'w' });
      if (claim.kind !== 'run') throw new Error('expected run');
      if (how === 'failed') return fail(claim.holder, 'x', 'broken');
      const key = keys.result(projectId, job.jobId, 'png');
      await deps.store.put(key, Buffer.from('png'), { contentType: 'image/png' });
      return complete(claim.holder, { key, contentType: 'image/png', bytes: 3, width: 1, height: 1, renderer: 'stub', model: 'stub', timings: { queuedMs: 0, renderMs: 0, totalMs: 0 } }, { url: 'u', expiresAt: null });
    }

    it('deletes expired finished jobs with their image and leases, and keeps pending, running and young ones', async () => {
      const clock = new TestClock();
      const deps = testDeps(fx.store, { clock });
      const oldDone = await finishedJob(deps, 'pr1', 'completed');
      const oldFailed = await finishedJob(deps, 'pr2', 'failed');
      const oldPending = await enqueueJob(deps, smallRequest('pr1'));
      const oldRunning = await enqueueJob(deps, smallRequest('pr1'));
      await claimJob(deps, oldRunning, { workerId: 'w' });
      clock.advance(8 * DAY);
      const youngDone = await finishedJob(deps, 'pr1', 'completed');

      const report = await pruneExpired(deps, { retentionMs: 7 * DAY, deadlineMs: clock.now() + 60_000 });
      expect(report).toMatchObject({ pruned: 2, cutShort: false });
      expect(await readJob(fx.store, 'pr1', oldDone.jobId)).toBeNull();
      expect(await readJob(fx.store, 'pr2', oldFailed.jobId)).toBeNull();
      expect(await fx.store.get(oldDone.result!.key)).toBeNull();
      const leases = [];
      for await (const l of listAll(fx.store, keys.leaseFolder(oldDone.jobId))) leases.push(l);
      expect(leases).toEqual([]);
      expect((await readJob(fx.store, 'pr1', oldPending.jobId))?.status).toBe('pending');
      expect((await readJob(fx.store, 'pr1', oldRunning.jobId))?.status).toBe('processing');
      expect((await readJob(fx.store, 'pr1', youngDone.jobId))?.status).toBe('completed');
      expect(await fx.store.get(youngDone.result!.key)).not.toBeNull();
    });

    it('stops at its deadline, and the next run finishes the work', async () => {
      const clock = new TestClock();
      const deps = testDeps(fx.store, { clock });
      const jobs = [await finishedJob(deps, 'pr3', 'completed'), await finishedJob(deps, 'pr3', 'completed')];
      clock.advance(8 * DAY);
      const cut = await pruneExpired(deps, { retentionMs: 7 * DAY, deadlineMs: clock.now() });
      expect(cut).toMatchObject({ pruned: 0, cutShort: true });
      const next = await pruneExpired(deps, { retentionMs: 7 * DAY, deadlineMs: clock.now() + 60_000 });
      expect(next.cutShort).toBe(false);
      for (const j of jobs) expect(await readJob(fx.store, 'pr3', j.jobId)).toBeNull();
    });
  });
}
