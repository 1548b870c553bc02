// The holder's writes: serialised, and a late heartbeat after the outcome is harmless.
import { describe, expect, it } from 'vitest';
import { claimJob } from '../../shared/queue/claim.js';
import { enqueueJob } from '../../shared/queue/enqueue.js';
import { fail } from '../../shared/queue/finish.js';
import { readJob } from '../../shared/job/job-docs.js';
import { smallRequest } from '../helpers/concept.js';
import { testDeps } from '../helpers/deps.js';
import { selectedStores, useStore } from '../helpers/stores.js';

for (const [name, make] of selectedStores()) {
  describe(`job holder (${name})`, () => {
    const fx = useStore(make);

    it('applies concurrent writes in the order they were made', async () => {
      const deps = testDeps(fx.store);
      const job = await enqueueJob(deps, smallRequest('order'));
      const claim = await claimJob(deps, job, { workerId: 'w' });
      if (claim.kind !== 'run') throw new Error('expected run');
      await Promise.all([10, 20, 30, 40].map((p) => claim.holder.write((d) => ({ ...d, progress: p }))));
      expect((await readJob(fx.store, job.projectId, job.jobId))?.progress).toBe(40);
    });

    it('lets a heartbeat queued behind the final write pass without writing', async () => {
      const deps = testDeps(fx.store);
      const job = await enqueueJob(deps, smallRequest('late-beat'));
      const claim = await claimJob(deps, job, { workerId: 'w' });
      if (claim.kind !== 'run') throw new Error('expected run');
      const [failed, beat] = await Promise.all([fail(claim.holder, 'x', 'stopped'), claim.holder.heartbeat()]);
      expect(failed.status).toBe('failed');
      expect(beat.status).toBe('failed');
      expect((await readJob(fx.store, job.projectId, job.jobId))?.updatedAt).toBe(failed.updatedAt);
    });
  });
}
