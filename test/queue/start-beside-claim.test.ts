// A worker starts the render beside its claim's document write (`startBeforeWritten`), one round
// trip sooner; the render must stop, and nothing be written for it, if that write fails.
import { describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../shared/errors.js';
import { readJob } from '../../shared/job/job-docs.js';
import { claimJob } from '../../shared/queue/claim.js';
import { CLOCK_SKEW_MS } from '../../shared/queue/deps.js';
import { enqueueJob } from '../../shared/queue/enqueue.js';
import { runJob } from '../../shared/runner/run-job.js';
import type { ObjectStore, PutOptions } from '../../shared/store/object-store.js';
import { keys } from '../../shared/store/keys.js';
import { smallRequest } from '../helpers/concept.js';
import { CountingStore } from '../helpers/counting-store.js';
import { TestClock, testDeps } from '../helpers/deps.js';
import { FailingProvider, retryable, TimedProvider } from '../helpers/providers.js';
import { until } from '../helpers/wait.js';
import { selectedStores, useStore } from '../helpers/stores.js';

/** Holds the first write of one key until told to let it through or to fail it. */
class HeldWrite extends CountingStore {
  private open!: (fail: boolean) => void;
  private readonly gate = new Promise<boolean>((resolve) => (this.open = resolve));
  private held = false;
  constructor(
    inner: ObjectStore,
    private readonly key: string,
  ) {
    super(inner);
  }
  release(opts: { fail: boolean }): void {
    this.open(opts.fail);
  }
  override async put(key: string, body: Buffer | string, opts?: PutOptions): Promise<void> {
    if (key === this.key && !this.held) {
      this.held = true;
      if (await this.gate) throw new StoreUnavailableError(`put ${key}: the server answered 503`);
    }
    return super.put(key, body, opts);
  }
}

for (const [name, make] of selectedStores()) {
  describe(`the render beside the claim's write (${name})`, () => {
    const fx = useStore(make);

    it('starts the render before the claim is written, and completes the job once it is', async () => {
      const job = await enqueueJob(testDeps(fx.store), smallRequest('beside'));
      const store = new HeldWrite(fx.store, keys.job(job.projectId, job.jobId));
      const deps = testDeps(store);
      const claim = await claimJob(deps, job, { workerId: 'w', startBeforeWritten: true });
      if (claim.kind !== 'run') throw new Error(`expected run, got ${claim.kind}`);
      const provider = new TimedProvider(50);
      const run = runJob(claim.holder, { provider });
      // The claim's write is still held: the job reads pending, and the render has begun.
      await until(() => provider.calls === 1, 10_000, 'the render started');
      expect(await readJob(fx.store, job.projectId, job.jobId)).toMatchObject({ status: 'pending', attempt: 0 });
      store.release({ fail: false });
      expect(await run).toMatchObject({ status: 'completed', attempt: 1, attempts: [{ attempt: 1, outcome: 'completed' }] });
    });

    it('counts a render that fails before its claim is written against that claim', async () => {
      const job = await enqueueJob(testDeps(fx.store), { ...smallRequest('fails-first'), maxAttempts: 1 });
      const store = new HeldWrite(fx.store, keys.job(job.projectId, job.jobId));
      const claim = await claimJob(testDeps(store), job, { workerId: 'w', startBeforeWritten: true });
      if (claim.kind !== 'run') throw new Error(`expected run, got ${claim.kind}`);
      const provider = new FailingProvider(retryable);
      const run = runJob(claim.holder, { provider });
      await until(() => provider.calls === 1, 10_000, 'the render failed');
      store.release({ fail: false });
      // Its one attempt is used: failed, not put back for a second.
      expect(await run).toMatchObject({ status: 'failed', attempts: [{ attempt: 1, outcome: 'failed' }] });
    });

    it('stops the render and writes nothing when the claim cannot be written; the next claim takes the job', async () => {
      const clock = new TestClock();
      const job = await enqueueJob(testDeps(fx.store, { clock }), smallRequest('unwritten'));
      const store = new HeldWrite(fx.store, keys.job(job.projectId, job.jobId));
      const deps = testDeps(store, { clock, queue: { maxRunning: 1 } });
      const claim = await claimJob(deps, job, { workerId: 'w', startBeforeWritten: true });
      if (claim.kind !== 'run') throw new Error(`expected run, got ${claim.kind}`);
      const provider = new TimedProvider(60_000);
      const run = runJob(claim.holder, { provider });
      await until(() => provider.calls === 1, 10_000, 'the render started');
      store.release({ fail: true });
      expect(await run).toBeNull(); // left to the next claimer
      expect(provider.aborts).toBe(1);
      expect(store.calls.filter((c) => c.key === keys.job(job.projectId, job.jobId) && c.op === 'put')).toEqual([]);
      expect(await readJob(fx.store, job.projectId, job.jobId)).toMatchObject({ status: 'pending', attempt: 0 });
      // Its lease was never named by the document: taken for abandoned after a lease and the skew,
      // and the cap's one slot does not hold the job back.
      expect((await claimJob(deps, job, { workerId: 'w2' })).kind).toBe('busy');
      clock.advance(deps.queue.leaseMs + CLOCK_SKEW_MS + 50);
      const next = await claimJob(testDeps(fx.store, { clock, queue: { maxRunning: 1 } }), job, { workerId: 'w2' });
      if (next.kind !== 'run') throw new Error(`expected run, got ${next.kind}`);
      expect(next.holder.lease.attempt).toBe(2);
      expect(next.holder.doc).toMatchObject({ status: 'processing', attempts: [{ attempt: 2, outcome: 'running' }] });
    });
  });
}
