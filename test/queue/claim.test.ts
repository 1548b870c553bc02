// Claims: exactly one winner per attempt, takeover of expired leases, fenced writes of the old holder.
import { describe, expect, it } from 'vitest';
import { LeaseLostError } from '../../shared/errors.js';
import { claimJob } from '../../shared/queue/claim.js';
import { CLOCK_SKEW_MS } from '../../shared/queue/deps.js';
import { JobHolder } from '../../shared/queue/holder.js';
import { createLease } from '../../shared/queue/lease.js';
import { enqueueJob } from '../../shared/queue/enqueue.js';
import { readJob } from '../../shared/job/job-docs.js';
import { markerKeyOf, markerOf } from '../../shared/queue/markers.js';
import { keys } from '../../shared/store/keys.js';
import { smallRequest } from '../helpers/concept.js';
import { TestClock, testDeps } from '../helpers/deps.js';
import { selectedStores, useStore } from '../helpers/stores.js';

for (const [name, make] of selectedStores()) {
  describe(`claim (${name})`, () => {
    const fx = useStore(make);

    it('lets exactly one of many concurrent claimers win an attempt', async () => {
      const deps = testDeps(fx.store);
      const job = await enqueueJob(deps, smallRequest('race'));
      const outcomes = await Promise.all(Array.from({ length: 16 }, (_, i) => claimJob(deps, job, { workerId: `w${i}` })));
      const winners = outcomes.filter((o) => o.kind === 'run');
      expect(winners).toHaveLength(1);
      expect(outcomes.filter((o) => o.kind !== 'run').every((o) => o.kind === 'busy')).toBe(true);
      const doc = await readJob(fx.store, job.projectId, job.jobId);
      expect(doc).toMatchObject({ status: 'processing', attempt: 1 });
      expect(doc?.workerId).toBe(winners[0]!.kind === 'run' ? winners[0]!.holder.lease.workerId : '');
      expect((await fx.store.list(keys.leaseFolder(job.jobId))).items.map((i) => i.name)).toEqual(['1']);
    });

    it('takes over an expired lease and refuses every later write of the old holder', async () => {
      const clock = new TestClock();
      const deps = testDeps(fx.store, { clock });
      const job = await enqueueJob(deps, smallRequest('takeover'));
      const first = await claimJob(deps, job, { workerId: 'old' });
      if (first.kind !== 'run') throw new Error('first claim should run');

      expect((await claimJob(deps, job, { workerId: 'new' })).kind).toBe('busy'); // lease still live
      clock.advance(testDeps(fx.store).queue.leaseMs + 2000);
      const second = await claimJob(deps, job, { workerId: 'new' });
      if (second.kind !== 'run') throw new Error(`takeover should run, got ${second.kind}`);
      expect(second.holder.lease.attempt).toBe(2);

      await expect(first.holder.write((d) => ({ ...d, progress: 99 }))).rejects.toBeInstanceOf(LeaseLostError);
      const doc = await readJob(fx.store, job.projectId, job.jobId);
      expect(doc).toMatchObject({ status: 'processing', attempt: 2, workerId: 'new', progress: 0 });
      expect(doc?.attempts.map((a) => [a.attempt, a.workerId, a.outcome])).toEqual([
        [1, 'old', 'lost'],
        [2, 'new', 'running'],
      ]);
    });

    it('lets the next claim start at once a job a sweep put back in the queue', async () => {
      const clock = new TestClock();
      const deps = testDeps(fx.store, { clock });
      const job = await enqueueJob(deps, smallRequest('swept'));
      expect((await claimJob(deps, job, { workerId: 'dead' })).kind).toBe('run');
      clock.advance(deps.queue.leaseMs + 2000);
      // A worker with no free slot requeues the dead worker's job (it holds lease 2 to do so)…
      expect((await claimJob(deps, job, { workerId: 'sweeper', toRequeue: true })).kind).toBe('finished');
      // …and the next worker starts it now, not a lease later.
      const next = await claimJob(deps, job, { workerId: 'next' });
      if (next.kind !== 'run') throw new Error(`expected run, got ${next.kind}`);
      expect(next.holder.lease.attempt).toBe(3);
    });

    it('fences an old holder by the newer lease even when its own clock says it is still valid', async () => {
      const takerClock = new TestClock();
      const job = await enqueueJob(testDeps(fx.store), smallRequest('fence'));
      const first = await claimJob(testDeps(fx.store), job, { workerId: 'stalled' }); // real clock
      if (first.kind !== 'run') throw new Error('first claim should run');
      takerClock.advance(60_000);
      const second = await claimJob(testDeps(fx.store, { clock: takerClock }), job, { workerId: 'taker' });
      expect(second.kind).toBe('run');
      const err = await first.holder.heartbeat().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LeaseLostError);
      expect((err as Error).message).toContain('attempt 2 has taken over');
      expect((await readJob(fx.store, job.projectId, job.jobId))?.workerId).toBe('taker');
    });

    it('skips an attempt whose claimer died between the lease and the document', async () => {
      const clock = new TestClock();
      const deps = testDeps(fx.store, { clock });
      const job = await enqueueJob(deps, smallRequest('half'));
      // A claimer created lease 1 and crashed before writing the document.
      await fx.store.put(
        keys.lease(job.jobId, 1),
        JSON.stringify({ jobId: job.jobId, attempt: 1, workerId: 'ghost', token: 't', claimedAt: new Date(clock.now()).toISOString() }),
        { createOnly: true },
      );
      expect((await claimJob(deps, job, { workerId: 'w' })).kind).toBe('busy'); // could still be mid-claim
      clock.advance(deps.queue.leaseMs + CLOCK_SKEW_MS + 50);
      const outcome = await claimJob(deps, job, { workerId: 'w' });
      if (outcome.kind !== 'run') throw new Error(`expected run, got ${outcome.kind}`);
      expect(outcome.holder.lease.attempt).toBe(2);
    });

    it('runs a job whose claimer died after moving its marker, before writing its document, with a marker that finds it', async () => {
      const clock = new TestClock();
      const deps = testDeps(fx.store, { clock });
      const job = await enqueueJob(deps, smallRequest('moved'));
      // The claimer took lease 1 and moved the marker to its running name, then died.
      const ghost = await createLease(deps, job, 1, 'ghost');
      if (!ghost) throw new Error('lease not created');
      const running = markerKeyOf(job, clock.now() + deps.queue.leaseMs, 'r');
      expect(await fx.store.move(markerOf(job), running)).toBe(true);
      clock.advance(deps.queue.leaseMs + CLOCK_SKEW_MS + 50);
      const outcome = await claimJob(deps, job, { workerId: 'w' });
      if (outcome.kind !== 'run') throw new Error(`expected run, got ${outcome.kind}`);
      expect(outcome.holder.lease.attempt).toBe(2);
      // The marker the document names exists: should this worker die too, a scan finds the job.
      const doc = await readJob(fx.store, job.projectId, job.jobId);
      expect(doc?.marker).toMatch(/\.r\./);
      expect(await fx.store.get(doc!.marker!)).not.toBeNull();
    });

    it('refuses the claim write of a claimer that took so long others may take its lease for abandoned', async () => {
      const clock = new TestClock();
      const deps = testDeps(fx.store, { clock });
      const job = await enqueueJob(deps, smallRequest('slow-claim'));
      const lease = await createLease(deps, job, 1, 'slow');
      if (!lease) throw new Error('lease not created');
      // Stalled between its lease and its document write until a heartbeat before the lease ends.
      clock.advance(deps.queue.leaseMs - deps.queue.heartbeatMs + 1);
      const holder = new JobHolder(deps, lease, job);
      await expect(holder.write((d) => ({ ...d, status: 'processing', attempt: 1 }))).rejects.toBeInstanceOf(LeaseLostError);
      expect(await readJob(fx.store, job.projectId, job.jobId)).toMatchObject({ status: 'pending', attempt: 0 });
    });

    it('is never stuck pending behind leases its document does not know: document at attempt 1, leases 1 to 5', async () => {
      const clock = new TestClock();
      const deps = testDeps(fx.store, { clock });
      const job = await enqueueJob(deps, { ...smallRequest('stuck'), maxAttempts: 10 });
      const first = await claimJob(deps, job, { workerId: 'w1' });
      if (first.kind !== 'run') throw new Error('first claim should run');
      // Four claimers took leases 2–5 and died before writing the document; the document says attempt 1.
      const old = new Date(clock.now()).toISOString();
      for (let n = 2; n <= 5; n++) {
        await fx.store.put(keys.lease(job.jobId, n), JSON.stringify({ jobId: job.jobId, attempt: n, workerId: `ghost${n}`, token: `t${n}`, claimedAt: old }), {
          createOnly: true,
        });
      }
      clock.advance(deps.queue.leaseMs + 2000);
      const outcome = await claimJob(deps, job, { workerId: 'w' });
      if (outcome.kind !== 'run') throw new Error(`expected run, got ${outcome.kind}`);
      expect(outcome.holder.lease.attempt).toBe(6);
    });

    it('expires a job that started, went back to the queue and outlived every deadline it could need', async () => {
      const clock = new TestClock();
      const deps = testDeps(fx.store, { clock });
      const job = await enqueueJob(deps, { ...smallRequest('late'), startWithinMs: 1_000, maxAttempts: 2 });
      const first = await claimJob(deps, job, { workerId: 'w1' });
      if (first.kind !== 'run') throw new Error('first claim should run');
      const { handBack } = await import('../../shared/queue/finish.js');
      await handBack(first.holder); // started, then back in the queue
      const q = deps.queue;
      clock.advance(1_000 + 2 * (q.runDeadlineMs + q.retryMaxMs + q.leaseMs) + 1_000);
      const outcome = await claimJob(deps, job, { workerId: 'w2' });
      expect(outcome).toMatchObject({ kind: 'finished', doc: { status: 'failed', errorCode: 'expired' } });
    });

    it('does not claim a job before its runAfter, nor a finished one', async () => {
      const deps = testDeps(fx.store);
      const job = await enqueueJob(deps, smallRequest('later'));
      const early = await claimJob({ ...deps, now: () => Date.parse(job.runAfter) - 1000 }, job, { workerId: 'w' });
      expect(early.kind).toBe('not_due');
      expect((await claimJob(deps, { projectId: 'later', jobId: 'nope' }, { workerId: 'w' })).kind).toBe('missing');
    });
  });
}
