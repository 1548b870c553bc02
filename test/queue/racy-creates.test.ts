// The shortcuts a store without atomic create-only writes allows, and what keeps them safe: a lease
// created while its slot settles is given back when the slot is lost after all.
import { describe, expect, it } from 'vitest';
import { claimJob } from '../../shared/queue/claim.js';
import { enqueueJob } from '../../shared/queue/enqueue.js';
import { readJob } from '../../shared/job/job-docs.js';
import type { ObjectStore, PutOptions } from '../../shared/store/object-store.js';
import { keys } from '../../shared/store/keys.js';
import { smallRequest } from '../helpers/concept.js';
import { CountingStore } from '../helpers/counting-store.js';
import { testDeps } from '../helpers/deps.js';
import { selectedStores, useStore } from '../helpers/stores.js';

/**
 * Any backend, seen as one whose creates are racy (the queue then reads its winners back), where a
 * second creator's bytes land on chosen keys right after ours: those creates are lost.
 */
class LosingCreates extends CountingStore {
  constructor(
    private readonly base: ObjectStore,
    private readonly loses: (key: string) => boolean,
  ) {
    super(base);
  }
  override get capabilities() {
    return { atomicCreate: false };
  }
  override async put(key: string, body: Buffer | string, opts?: PutOptions) {
    await super.put(key, body, opts);
    if (opts?.createOnly && this.loses(key)) await this.base.put(key, JSON.stringify({ token: 'another-creator' }), { contentType: 'application/json' });
  }
}

for (const [name, make] of selectedStores()) {
  describe(`racy creates (${name})`, () => {
    const fx = useStore(make);

    it('gives back the lease of a claim whose slot was lost while it settled: the job keeps its attempt number', async () => {
      const queue = { maxRunning: 1 };
      const job = await enqueueJob(testDeps(fx.store, { queue }), smallRequest(`lost-slot-${name}`));
      let losing = true;
      const store = new LosingCreates(fx.store, (key) => losing && key.startsWith('slots/'));
      const deps = testDeps(store, { queue });

      const first = await claimJob(deps, job, { workerId: 'w1', listSlotsAhead: true });
      expect(first).toMatchObject({ kind: 'capped', full: 'global' });
      // The lease was created beside the slot's read-back (a round trip less), then deleted.
      const lease = keys.lease(job.jobId, 1);
      expect(store.calls.filter((c) => c.key === lease).map((c) => c.op)).toEqual(['create', 'get', 'delete']);
      expect((await fx.store.list(keys.leaseFolder(job.jobId))).items).toEqual([]);
      expect(await readJob(fx.store, job.projectId, job.jobId)).toMatchObject({ status: 'pending', attempt: 0, attempts: [] });

      // The other creator's entry does not parse as a holder's: stale at once, taken over.
      losing = false;
      const second = await claimJob(deps, job, { workerId: 'w2', listSlotsAhead: true });
      if (second.kind !== 'run') throw new Error(`expected to run, got ${second.kind}`);
      expect(second.holder.lease.attempt).toBe(1);
      expect(second.holder.doc.message).toBe('Attempt 1 of 3 started.');
    });
  });
}
