// The worker's view of the queue: what a listing brings back after the claim loop has let a job go.
import { describe, expect, it } from 'vitest';
import { enqueueJob } from '../../shared/queue/enqueue.js';
import { markerKeyOf, ownerTag, putMarker } from '../../shared/queue/markers.js';
import type { ObjectStore } from '../../shared/store/object-store.js';
import type { JobDocument } from '../../shared/job/document.js';
import { QueueView } from '../../worker/queue-view.js';
import { smallRequest } from '../helpers/concept.js';
import { TestClock, testDeps } from '../helpers/deps.js';
import { selectedStores, useStore } from '../helpers/stores.js';

for (const [name, make] of selectedStores()) {
  describe(`queue view (${name})`, () => {
    const fx = useStore(make);

    it('does not bring back a claimed job from the marker its claim has not dropped yet', async () => {
      const deps = testDeps(fx.store);
      const job = await enqueueJob(deps, smallRequest('qv-claimed'));
      const view = new QueueView(deps);
      await view.refresh();
      expect(view.get(job.jobId)).toBeDefined();
      view.forget(job.jobId); // claimed here; its old marker goes a moment later
      await view.refresh(); // reaches back over that marker
      expect(view.get(job.jobId)).toBeUndefined();
    });

    it('forgets, on listing the head again, the jobs whose markers others removed, and keeps the rest', async () => {
      const deps = testDeps(fx.store);
      const jobs: JobDocument[] = [];
      for (let i = 0; i < 5; i++) jobs.push(await enqueueJob(deps, smallRequest('qv-head')));
      const view = new QueueView(deps);
      await view.refresh();
      for (const j of jobs) expect(view.get(j.jobId)).toBeDefined();
      // Another worker claimed the second and the fourth: their pending markers are gone.
      await fx.store.delete(jobs[1]!.marker!);
      await fx.store.delete(jobs[3]!.marker!);
      expect(await view.pruneHead()).toBe(2);
      expect(jobs.map((j) => view.get(j.jobId) !== undefined)).toEqual([true, false, true, false, true]);
      // A listing that reaches back over the same time does not bring them back.
      await view.refresh();
      expect(view.get(jobs[1]!.jobId)).toBeUndefined();
    });

    it('forgets only up to the last time a page of the head listing reached', async () => {
      // A store of its own (the oldest markers must be this test's), listed in pages of two once asked.
      const own = await make();
      try {
        let pageLimit = Number.POSITIVE_INFINITY;
        const paged = Object.create(own.store) as ObjectStore;
        paged.list = (prefix, opts) => own.store.list(prefix, { ...opts, limit: Math.min(pageLimit, opts?.limit ?? 100) });
        const clock = new TestClock();
        const deps = testDeps(paged, { clock });
        const jobs: JobDocument[] = [];
        for (let i = 0; i < 5; i++) {
          jobs.push(await enqueueJob(deps, smallRequest('qv-page')));
          clock.advance(10); // each at its own time
        }
        const view = new QueueView(deps);
        await view.refresh();
        pageLimit = 2; // the head listing sees the first two markers only, and says there is more
        await own.store.delete(jobs[0]!.marker!);
        await own.store.delete(jobs[4]!.marker!); // beyond the page: not known to be gone
        expect(await view.pruneHead()).toBe(1);
        expect(jobs.map((j) => view.get(j.jobId) !== undefined)).toEqual([false, true, true, true, true]);
      } finally {
        await own.cleanup();
      }
    });

    it("hands out each owner's jobs oldest first, passing over claimed ones without regrouping the queue", async () => {
      const deps = testDeps(fx.store);
      const a: JobDocument[] = [];
      for (let i = 0; i < 3; i++) a.push(await enqueueJob(deps, smallRequest('qv-groups'), { ownerId: 'ann' }));
      const b = await enqueueJob(deps, smallRequest('qv-groups'), { ownerId: 'bob' });
      const view = new QueueView(deps);
      await view.refresh();
      const groups = view.groups();
      const ids = (entries: { jobId: string }[]) => entries.map((e) => e.jobId);
      const annGroup = groups.get(ownerTag('ann'));
      const bobGroup = groups.get(ownerTag('bob'));
      expect(ids(view.ready(annGroup!, 10, () => true))).toEqual(a.map((j) => j.jobId));
      expect(ids(view.ready(bobGroup!, 10, () => true))).toEqual([b.jobId]);
      // Claimed here: the next of that owner comes up, and the grouping is the same one (a claim
      // costs no pass over the queue).
      view.forget(a[0]!.jobId);
      view.forget(a[1]!.jobId);
      expect(view.groups()).toBe(groups);
      expect(ids(view.ready(annGroup!, 1, () => true))).toEqual([a[2]!.jobId]);
      expect(ids(view.ready(annGroup!, 10, (e) => e.jobId !== a[2]!.jobId))).toEqual([]);
    });

    it('takes a job back under a newer marker after one of its markers was let go', async () => {
      const deps = testDeps(fx.store);
      const job = await enqueueJob(deps, smallRequest('qv-requeued'));
      const view = new QueueView(deps);
      await view.refresh();
      view.forget(job.jobId, job.marker!); // a sweep put it back in the queue under a new marker
      const requeued = markerKeyOf(job, Date.now(), 'p');
      await putMarker(fx.store, requeued, job.projectId);
      await view.refresh();
      expect(view.get(job.jobId)?.key).toBe(requeued);
    });

    it('keeps the rest in queue order as claims let jobs go and new markers come in between', async () => {
      const now = Date.now();
      // All within the look-back of a listing, so the second refresh sees the ones put in between.
      const at = (i: number) => now - 4_000 + i * 10;
      const put = (i: number) =>
        putMarker(fx.store, markerKeyOf({ jobId: `qvorder${String(i).padStart(3, '0')}`, projectId: 'qv-order', ownerId: null }, at(i), 'p'), 'qv-order');
      const evens = Array.from({ length: 60 }, (_, i) => i * 2);
      await Promise.all(evens.map(put));
      const view = new QueueView({ ...testDeps(fx.store), now: () => now });
      const order = () =>
        view
          .all()
          .filter((e) => e.projectId === 'qv-order')
          .map((e) => Number(e.jobId.slice(7)));
      await view.refresh();
      expect(order()).toEqual(evens);
      // Claims let every third job go, one at a time, each followed by a look (as the claim loop does).
      const gone = evens.filter((_, i) => i % 3 === 0);
      for (const i of gone) {
        view.forget(`qvorder${String(i).padStart(3, '0')}`);
        expect(order()).toEqual(evens.filter((n) => !gone.includes(n) || n > i));
      }
      // Jobs that fell due in between (odd times) join in their place; later claims still cut the right one.
      await Promise.all([1, 33, 99].map(put));
      await view.refresh();
      const left = [...evens.filter((n) => !gone.includes(n)), 1, 33, 99].sort((a, b) => a - b);
      expect(order()).toEqual(left);
      view.forget('qvorder033');
      view.forget('qvorder010');
      expect(order()).toEqual(left.filter((n) => n !== 33 && n !== 10));
    });

    it('lists a queue of several pages side by side and hands it over oldest first, each due job once', async () => {
      // 2,600 due markers over the last ten minutes (three pages and more), three not yet due.
      const now = Date.now();
      const ids = Array.from({ length: 2_600 }, (_, i) => `qvlane${String(i).padStart(5, '0')}`);
      const atOf = (i: number) => now - 600_000 + i * 200;
      const later = ['qvlate1', 'qvlate2', 'qvlate3'];
      const made = [...ids.map((jobId, i) => ({ jobId, at: atOf(i) })), ...later.map((jobId, i) => ({ jobId, at: now + 60_000 + i }))];
      for (let next = 0; next < made.length; next += 100) {
        await Promise.all(
          made
            .slice(next, next + 100)
            .map(({ jobId, at }) => putMarker(fx.store, markerKeyOf({ jobId, projectId: 'qv-lanes', ownerId: null }, at, 'p'), 'qv-lanes')),
        );
      }
      let listing = 0;
      let mostAtOnce = 0;
      const store = fx.store;
      const watched: ObjectStore = Object.assign(Object.create(store) as ObjectStore, {
        list: async (...args: Parameters<ObjectStore['list']>) => {
          mostAtOnce = Math.max(mostAtOnce, ++listing);
          try {
            return await store.list(...args);
          } finally {
            listing--;
          }
        },
      });
      const view = new QueueView({ ...testDeps(fx.store), store: watched, now: () => now });
      const handedOver: string[][] = [];
      // Earlier tests' jobs share the store: only this queue's are looked at.
      const lanes = () =>
        view
          .all()
          .filter((e) => e.projectId === 'qv-lanes')
          .map((e) => e.jobId);
      await view.refresh(() => handedOver.push(lanes()));

      expect(lanes()).toEqual(ids);
      // Each hand-over only adds behind what the last one held: a claim never sees a later job
      // before an earlier one of the same queue.
      for (const [i, seen] of handedOver.entries()) expect(seen, `hand-over ${i}`).toEqual(ids.slice(0, seen.length));
      expect(handedOver.length).toBeGreaterThan(1);
      expect(mostAtOnce).toBeGreaterThan(1);
    });
  });
}
