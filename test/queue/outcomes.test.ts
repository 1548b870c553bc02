// What happens to a claimed job: completed once, retried with backoff then failed, failed at once
// for permanent errors, cancelled (pending or running), handed back at shutdown.
import { describe, expect, it } from 'vitest';
import { claimJob } from '../../shared/queue/claim.js';
import { createLease } from '../../shared/queue/lease.js';
import { requestCancel } from '../../shared/queue/cancel.js';
import { enqueueJob } from '../../shared/queue/enqueue.js';
import { readJob } from '../../shared/job/job-docs.js';
import { runJob } from '../../shared/runner/run-job.js';
import { keys, parseQueueMarker } from '../../shared/store/keys.js';
import { smallRequest } from '../helpers/concept.js';
import { TestClock, testDeps } from '../helpers/deps.js';
import { FailingProvider, TimedProvider, permanent, retryable } from '../helpers/providers.js';
import { selectedStores, useStore } from '../helpers/stores.js';
import { until } from '../helpers/wait.js';

for (const [name, make] of selectedStores()) {
  describe(`job outcomes (${name})`, () => {
    const fx = useStore(make);

    async function claimOrThrow(deps: ReturnType<typeof testDeps>, ref: { projectId: string; jobId: string }) {
      const o = await claimJob(deps, ref, { workerId: 'w1' });
      if (o.kind !== 'run') throw new Error(`expected run, got ${o.kind}`);
      return o.holder;
    }

    it('completes a job: result stored once, markers removed, timings recorded', async () => {
      const deps = testDeps(fx.store);
      const job = await enqueueJob(deps, smallRequest('ok'));
      const done = await runJob(await claimOrThrow(deps, job), { provider: new TimedProvider(20) });
      expect(done).toMatchObject({ status: 'completed', progress: 100, error: null });
      expect(done?.result?.key).toBe(keys.result('ok', job.jobId, 'png'));
      const stored = await fx.store.get(done!.result!.key);
      expect(stored?.contentType).toBe('image/png');
      if (fx.store.signedUrl) {
        // A store that signs: the image URL serves the bytes itself, until it expires.
        const res = await fetch(done!.imageUrl!);
        expect(Buffer.from(await res.arrayBuffer()).equals(stored!.body)).toBe(true);
        expect(Date.parse(done!.imageUrlExpiresAt!)).toBeGreaterThan(Date.now() + 3_600_000);
      } else {
        expect(done?.imageUrl).toBe(`/api/jobs/${job.jobId}/image?projectId=ok`);
        expect(done?.imageUrlExpiresAt).toBeNull();
      }
      expect((await fx.store.list(keys.queueFolder)).items.filter((i) => parseQueueMarker(i.name)?.jobId === job.jobId)).toEqual([]);
    });

    it('retries a retryable failure with backoff, then fails after maxAttempts', async () => {
      const clock = new TestClock();
      const deps = testDeps(fx.store, { clock });
      const provider = new FailingProvider(retryable);
      const job = await enqueueJob(deps, { ...smallRequest('retry'), maxAttempts: 3 });
      // The delay is drawn at some moment inside runJob: runAfter lies within [before + min, after + max].
      const windows: { runAfter: number; before: number; after: number }[] = [];
      let doc = job;
      for (let i = 0; i < 3; i++) {
        clock.advance(Math.max(0, Date.parse(doc.runAfter) - clock.now()));
        const holder = await claimOrThrow(deps, job);
        const before = clock.now();
        doc = (await runJob(holder, { provider }))!;
        windows.push({ runAfter: Date.parse(doc.runAfter), before, after: clock.now() });
      }
      expect(provider.calls).toBe(3);
      expect(doc).toMatchObject({ status: 'failed', errorCode: 'upstream_unavailable' });
      expect(doc.error).toContain('gave up after 3 of 3 attempts');
      expect(doc.attempts.map((a) => a.outcome)).toEqual(['retrying', 'retrying', 'failed']);
      // Backoff: first retry waits between base/2 and base, the second between base and 2×base.
      const base = deps.queue.retryBaseMs;
      expect(windows[0]!.runAfter).toBeGreaterThanOrEqual(windows[0]!.before + base / 2);
      expect(windows[0]!.runAfter).toBeLessThanOrEqual(windows[0]!.after + base);
      expect(windows[1]!.runAfter).toBeGreaterThanOrEqual(windows[1]!.before + base);
      expect(windows[1]!.runAfter).toBeLessThanOrEqual(windows[1]!.after + 2 * base);
      expect((await claimJob(deps, job, { workerId: 'w2' })).kind).toBe('terminal');
    });

    it('does not claim a retry before its backoff is over', async () => {
      const deps = testDeps(fx.store);
      const job = await enqueueJob(deps, smallRequest('backoff'));
      const doc = await runJob(await claimOrThrow(deps, job), { provider: new FailingProvider(retryable) });
      expect(doc?.status).toBe('pending');
      expect((await claimJob(deps, job, { workerId: 'w2' })).kind).toBe('not_due');
    });

    it('fails at once on a permanent error', async () => {
      const deps = testDeps(fx.store);
      const provider = new FailingProvider(permanent);
      const job = await enqueueJob(deps, smallRequest('perm'));
      const doc = await runJob(await claimOrThrow(deps, job), { provider });
      expect(provider.calls).toBe(1);
      expect(doc).toMatchObject({ status: 'failed', errorCode: 'invalid_prompt', error: 'The concept cannot be rendered as given.' });
    });

    it('cancels a pending job: it never runs', async () => {
      const deps = testDeps(fx.store);
      const job = await enqueueJob(deps, smallRequest('cancel-pending'));
      const { job: cancelled, cancelRequestedAt } = await requestCancel(deps, job);
      expect(cancelled.status).toBe('cancelled');
      expect(cancelRequestedAt).toBeNull();
      expect((await claimJob(deps, job, { workerId: 'w' })).kind).toBe('terminal');
      expect((await fx.store.list(keys.queueFolder)).items.some((i) => parseQueueMarker(i.name)?.jobId === job.jobId)).toBe(false);
      // Cancelling again is harmless and answers the same terminal job.
      expect((await requestCancel(deps, job)).job.status).toBe('cancelled');
    });

    it('cancels a processing job through its AbortSignal within a heartbeat', async () => {
      const deps = testDeps(fx.store);
      const provider = new TimedProvider(20_000);
      const job = await enqueueJob(deps, smallRequest('cancel-running'));
      const run = runJob(await claimOrThrow(deps, job), { provider });
      // Running means its document says so: with a store's real latency that write takes a while.
      await until(async () => (await readJob(fx.store, job.projectId, job.jobId))?.status === 'processing', 10_000, 'the job running');
      const asked = await requestCancel(deps, job);
      expect(asked.job.status).toBe('processing');
      expect(asked.cancelRequestedAt).not.toBeNull();
      const started = Date.now();
      const doc = await run;
      expect(doc?.status).toBe('cancelled');
      expect(provider.aborts).toBe(1);
      expect(Date.now() - started).toBeLessThan(deps.queue.heartbeatMs * 2 + 1000);
      expect(await fx.store.get(keys.result('cancel-running', job.jobId, 'png'))).toBeNull();
    });

    it('cancels at its next claim a job asked to stop while a claimer that then died held its lease', async () => {
      const clock = new TestClock();
      const deps = testDeps(fx.store, { clock });
      const job = await enqueueJob(deps, smallRequest('cancel-half-claimed'));
      // A claimer took lease 1 and died before writing the document: the API finds the lease live.
      if (!(await createLease(deps, job, 1, 'ghost'))) throw new Error('lease not created');
      const asked = await requestCancel(deps, job);
      expect(asked).toMatchObject({ job: { status: 'pending' }, cancelledHere: false });
      expect(asked.cancelRequestedAt).not.toBeNull();
      clock.advance(deps.queue.leaseMs + 2000);
      // The document never saw attempt 1, but the claim skips its number: it looks, and never renders.
      expect(await claimJob(deps, job, { workerId: 'w' })).toMatchObject({ kind: 'finished', doc: { status: 'cancelled' } });
    });

    it('cancels a job whose worker died, without waiting for a takeover', async () => {
      const clock = new TestClock();
      const deps = testDeps(fx.store, { clock });
      const job = await enqueueJob(deps, smallRequest('cancel-orphan'));
      await claimOrThrow(deps, job); // its worker then vanishes without a trace
      clock.advance(deps.queue.leaseMs + 2000);
      const { job: doc, cancelRequestedAt } = await requestCancel(deps, job);
      expect(doc.status).toBe('cancelled');
      expect(cancelRequestedAt).toBeNull();
      expect(doc.attempts.map((a) => a.outcome)).toEqual(['lost']);
    });

    it('hands a job back at shutdown without counting the attempt', async () => {
      const deps = testDeps(fx.store);
      const shutdown = new AbortController();
      const job = await enqueueJob(deps, smallRequest('handback'));
      const run = runJob(await claimOrThrow(deps, job), { provider: new TimedProvider(20_000), shutdown: shutdown.signal });
      shutdown.abort();
      const doc = await run;
      expect(doc).toMatchObject({ status: 'pending', workerId: null });
      expect(doc?.attempts.map((a) => a.outcome)).toEqual(['handed_back']);
      const again = await claimJob(deps, job, { workerId: 'w2' });
      if (again.kind !== 'run') throw new Error('handed-back job should be claimable at once');
      expect(again.holder.doc.message).toBe(`Attempt 1 of ${doc!.maxAttempts} started.`);
    });

    it('stops writing when its lease is lost mid-render, leaving the job to the new holder', async () => {
      const deps = testDeps(fx.store);
      const job = await enqueueJob(deps, smallRequest('lost'));
      const holder = await claimOrThrow(deps, job);
      const run = runJob(holder, { provider: new TimedProvider(20_000) });
      // Another worker takes over (as if this one had stalled past its lease).
      const taker = await claimJob({ ...deps, now: () => Date.now() + 60_000 }, job, { workerId: 'taker' });
      expect(taker.kind).toBe('run');
      expect(await run).toBeNull();
      expect(await readJob(fx.store, job.projectId, job.jobId)).toMatchObject({ status: 'processing', workerId: 'taker', attempt: 2 });
    });
  });
}
