// Retention: expired finished jobs go with everything they own; nothing live or young is touched;
// a prune cut short by its deadline leaves nothing half-deleted that the next one cannot finish.
import { describe, expect, it } from 'vitest';
import { claimJob } from '../../shared/queue/claim.js';
import { enqueueJob } from '../../shared/queue/enqueue.js';
import { complete, fail } from '../../shared/queue/finish.js';
import { readJob } from '../../shared/job/job-docs.js';
import { pruneExpired } from '../../shared/queue/prune.js';
import { keys, parseQueueMarker } from '../../shared/store/keys.js';
import { listAll, type ObjectStore } from '../../shared/store/object-store.js';
import { newJobId, newUploadId } from '../../shared/ids.js';
import { markerKeyOf, putMarker } from '../../shared/queue/markers.js';
import { createLease } from '../../shared/queue/lease.js';
import { createJobOnce, idempotencyKeyHash } from '../../shared/queue/idempotency.js';

async function names(store: ObjectStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of listAll(store, prefix)) out.push(e.name);
  return out;
}
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
      return complete(
        claim.holder,
        { key, contentType: 'image/png', bytes: 3, width: 1, height: 1, renderer: 'stub', model: 'stub', timings: { queuedMs: 0, renderMs: 0, totalMs: 0 } },
        { url: 'u', expiresAt: null },
      );
    }

    it('prunes exactly, and lists exactly, in projects whose ids differ only in case', async () => {
      const own = await make();
      try {
        const clock = new TestClock();
        const deps = testDeps(own.store, { clock });
        const projects = ['PruneCase', 'prunecase', 'PRUNECASE'];
        const done = [];
        for (const p of projects) done.push(await finishedJob({ ...deps, store: own.store }, p, 'completed'));
        const idem = await Promise.all(projects.map((p) => createJobOnce(deps, smallRequest(p), { ownerId: null, idempotencyKey: 'same' })));
        clock.advance(8 * DAY);
        const live = await Promise.all(projects.map((p) => enqueueJob(deps, smallRequest(p))));
        for (const [i, p] of projects.entries()) {
          const page = await own.store.list(keys.jobsOf(p), { limit: 1 });
          expect(page.items.map((e) => e.name)).toEqual([`${live[i]!.jobId}.json`]);
        }
        const report = await pruneExpired(deps, { retentionMs: 7 * DAY, deadlineMs: clock.now() + 60_000 });
        expect(report).toMatchObject({ pruned: 3, cutShort: false });
        for (const [i, p] of projects.entries()) {
          expect(await readJob(own.store, p, done[i]!.jobId)).toBeNull();
          expect(await own.store.get(done[i]!.result!.key)).toBeNull();
          expect((await readJob(own.store, p, live[i]!.jobId))?.status).toBe('pending');
          expect(await names(own.store, keys.jobsOf(p))).toEqual([`${live[i]!.jobId}.json`, `${idem[i]!.job.jobId}.json`].sort());
        }
      } finally {
        await own.cleanup();
      }
    });

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

    it("deletes a slot's generations older than its newest, and nothing a slot's state depends on", async () => {
      const deps = testDeps(fx.store, { queue: { maxRunning: 1, maxRunningPerOwner: 0 } });
      // Three jobs through one slot, the last one still running: generations 0 and 1 are history.
      for (const how of ['completed', 'failed'] as const) await finishedJob(deps, 'slot-history', how);
      const running = await claimJob(deps, await enqueueJob(deps, smallRequest('slot-history')), { workerId: 'w' });
      expect(running.kind).toBe('run');
      const before = await names(fx.store, 'slots/all/');
      expect(before.filter((n) => n.startsWith('0000-0000000002'))).toEqual(['0000-0000000002-h']);
      await pruneExpired(deps, { retentionMs: DAY, deadlineMs: Date.now() + 60_000 });
      expect(await names(fx.store, 'slots/all/')).toEqual(['0000-0000000002-h']);
      // Still held: the cap is full until that job ends.
      expect(await claimJob(deps, await enqueueJob(deps, smallRequest('slot-history')), { workerId: 'w2' })).toMatchObject({ kind: 'capped' });
    });

    it('cleans up what crashes leave without a job, and keeps everything a live job owns', async () => {
      const clock = new TestClock();
      const deps = testDeps(fx.store, { clock });
      const store = fx.store;
      const oldMs = Date.now() - 8 * DAY;
      // A create that died between its marker and its document, 20 minutes ago.
      const deadId = newJobId(Date.now() - 20 * 60_000);
      await putMarker(store, markerKeyOf({ projectId: 'orphans', jobId: deadId, ownerId: null }, Date.now() - 20 * 60_000, 'p'), 'orphans');
      // A live pending job whose marker is just as old (a backed-up queue): kept.
      const live = await enqueueJob(deps, smallRequest('orphans'));
      await putMarker(store, markerKeyOf(live, Date.now() - 20 * 60_000, 'p'), 'orphans');
      // Leases of a job that is gone (its document deleted by hand), older than the retention time.
      const goneId = newJobId(oldMs);
      await createLease(deps, { projectId: 'orphans', jobId: goneId }, 1, 'w');
      // An idempotency record of a create that never finished, old; and one whose job exists.
      const abandoned = keys.idempotency('orphans', 'a'.repeat(64));
      await store.put(
        abandoned,
        JSON.stringify({ token: 't', jobId: newJobId(oldMs), ownerId: null, createdAt: new Date(oldMs).toISOString(), requestHash: 'h', request: {} }),
      );
      const kept = await createJobOnce(deps, smallRequest('orphans'), { ownerId: null, idempotencyKey: 'keep-me' });
      // Uploads: one from before the retention time, one from today.
      const oldUpload = keys.upload('orphans', newUploadId(oldMs));
      const newUpload = keys.upload('orphans', newUploadId());
      await store.put(oldUpload, Buffer.from('x'));
      await store.put(newUpload, Buffer.from('x'));

      const report = await pruneExpired(deps, { retentionMs: 7 * DAY, deadlineMs: Date.now() + 60_000 });
      expect(report.orphans).toBe(4);
      const queue = await names(store, 'queue/');
      expect(queue.some((n) => parseQueueMarker(n)?.jobId === deadId)).toBe(false);
      expect(queue.filter((n) => parseQueueMarker(n)?.jobId === live.jobId)).toHaveLength(2);
      expect(await names(store, `leases/${goneId}/`)).toEqual([]);
      expect(await store.get(abandoned)).toBeNull();
      expect(await store.get(keys.idempotency('orphans', idempotencyKeyHash(null, 'keep-me')))).not.toBeNull();
      expect(await store.get(oldUpload)).toBeNull();
      expect(await store.get(newUpload)).not.toBeNull();
      expect(await readJob(store, 'orphans', kept.job.jobId)).not.toBeNull();
    });
  });
}
