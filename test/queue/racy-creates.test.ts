// The shortcut a store without atomic create-only writes allows for the charge, and what keeps it
// safe: the charge is the ending's writer's alone for a lease's time, so its create needs no
// read-back, unless answered late.
import { describe, expect, it } from 'vitest';
import { chargeOnce, type ChargeHook, othersChargeFromMs } from '../../shared/queue/charge.js';
import { claimJob } from '../../shared/queue/claim.js';
import { CLOCK_SKEW_MS, type QueueDeps } from '../../shared/queue/deps.js';
import { jobEnded } from '../../shared/queue/ended.js';
import { enqueueJob } from '../../shared/queue/enqueue.js';
import type { ObjectStore, PutOptions } from '../../shared/store/object-store.js';
import { keys } from '../../shared/store/keys.js';
import { smallRequest } from '../helpers/concept.js';
import { CountingStore } from '../helpers/counting-store.js';
import { TestClock, testDeps } from '../helpers/deps.js';
import { TimedProvider } from '../helpers/providers.js';
import { runJob } from '../../shared/runner/run-job.js';
import { selectedStores, useStore } from '../helpers/stores.js';

/**
 * Any backend, seen as one whose creates are racy (the queue then reads its winners back), where a
 * second creator's bytes land on chosen keys right after ours: those creates are lost.
 */
class LosingCreates extends CountingStore {
  constructor(
    private readonly base: ObjectStore,
    private readonly loses: (key: string) => boolean,
    /** Runs once a create is answered, before its answer is returned. */
    private readonly onCreated: (key: string) => void = () => undefined,
  ) {
    super(base);
  }
  override get capabilities() {
    return { atomicCreate: false };
  }
  override async put(key: string, body: Buffer | string, opts?: PutOptions) {
    await super.put(key, body, opts);
    if (opts?.createOnly && this.loses(key)) await this.base.put(key, JSON.stringify({ token: 'another-creator' }), { contentType: 'application/json' });
    if (opts?.createOnly) this.onCreated(key);
  }
}

for (const [name, make] of selectedStores()) {
  describe(`racy creates (${name})`, () => {
    const fx = useStore(make);

    /** A completed job, its ending written by `deps`' process, which charges it as it ends. */
    async function completedBy(deps: QueueDeps, project: string) {
      const job = await enqueueJob(deps, smallRequest(project));
      const claim = await claimJob(deps, job, { workerId: 'w1' });
      if (claim.kind !== 'run') throw new Error(`expected to run, got ${claim.kind}`);
      const done = await runJob(claim.holder, { provider: new TimedProvider(5) });
      expect(done).toMatchObject({ status: 'completed' });
      return done!;
    }

    it("leaves the charge to the ending's writer for a lease's time: a scan meanwhile touches nothing, after it finds the charge taken", async () => {
      const clock = new TestClock();
      const charged: string[] = [];
      const store = new LosingCreates(fx.store, () => false);
      const deps: QueueDeps = { ...testDeps(store, { clock }), charge: (async (c) => void charged.push(c.jobId)) as ChargeHook };
      const done = await completedBy(deps, `turn-${name}`);
      const charge = keys.charge(done.projectId, done.jobId);
      // The writer's create answered at once: it stood without a read-back.
      expect(store.calls.filter((c) => c.key === charge).map((c) => c.op)).toEqual(['create', 'put']);
      expect(charged).toEqual([done.jobId]);

      // A scan that finds the ended job while its writer may still be charging it: no create that
      // could race the writer's, and the marker it would settle later stays with it.
      const before = store.calls.length;
      expect(await jobEnded(deps, done, { announce: false })).toBe(othersChargeFromMs(deps, done));
      expect(store.calls.slice(before)).toEqual([]);
      clock.advance(deps.queue.leaseMs + CLOCK_SKEW_MS);
      expect(await jobEnded(deps, done, { announce: false })).toBeNull();
      expect(await chargeOnce(deps, done)).toBe('already');
      expect(charged).toEqual([done.jobId]);
    });

    it('reads its charge back when its create was answered after its turn, when a scan may have raced it', async () => {
      const clock = new TestClock();
      const charged: string[] = [];
      let slow = false;
      // The create answers a lease late, and a scan's create landed meanwhile.
      const store = new LosingCreates(
        fx.store,
        (key) => slow && key.startsWith('charges/'),
        (key) => slow && key.startsWith('charges/') && clock.advance(testDeps(fx.store).queue.leaseMs),
      );
      const deps: QueueDeps = { ...testDeps(store, { clock }), charge: (async (c) => void charged.push(c.jobId)) as ChargeHook };
      slow = true;
      const done = await completedBy(deps, `late-${name}`);
      const charge = keys.charge(done.projectId, done.jobId);
      expect(store.calls.filter((c) => c.key === charge).map((c) => c.op)).toEqual(['create', 'get']);
      expect(charged).toEqual([]); // the scan's, not this writer's
    });
  });
}
