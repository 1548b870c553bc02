// The worker's view of the queue: a full listing finds every due marker, shows them oldest first
// with no gap (each owner's oldest known job is their oldest), and reads a long queue's far end in
// a few round trips (a restarted worker behind 20,000 capped jobs gets to another owner's newest
// job without first paging through them all).
import { describe, expect, it } from 'vitest';
import { ownerTag } from '../../shared/queue/markers.js';
import { keys } from '../../shared/store/keys.js';
import type { ListOptions, ObjectStore } from '../../shared/store/object-store.js';
import { QueueView } from '../../worker/queue-view.js';
import { testDeps } from '../helpers/deps.js';
import { selectedStores } from '../helpers/stores.js';
import { until } from '../helpers/wait.js';

const marker = (at: number, jobId: string, owner: string) => keys.queueMarker(at, jobId, { projectId: 'p', state: 'p', owner: ownerTag(owner) });

async function putAll(store: ObjectStore, markers: string[]): Promise<void> {
  for (let i = 0; i < markers.length; i += 100) await Promise.all(markers.slice(i, i + 100).map((key) => store.put(key, '{"projectId":"p"}')));
}

/**
 * A full refresh with every listing held until the whole round may go: `afterRound` sees the view
 * after each round of round trips (the listings then waiting come after their results).
 */
async function refreshInRounds(store: ObjectStore, now: number, afterRound: (view: QueueView, round: number) => void): Promise<QueueView> {
  let waiting: Array<() => void> = [];
  const gated: ObjectStore = Object.create(store);
  gated.list = async (prefix: string, opts?: ListOptions) => {
    await new Promise<void>((release) => waiting.push(release));
    return store.list(prefix, opts);
  };
  const view = new QueueView({ ...testDeps(gated), now: () => now });
  let done = false;
  const refreshed = view.refresh();
  void refreshed.finally(() => (done = true));
  for (let round = 0; ; round++) {
    await until(() => done || waiting.length > 0);
    afterRound(view, round);
    if (done) break;
    await new Promise((r) => setImmediate(r));
    const these = waiting;
    waiting = [];
    for (const release of these) release();
  }
  await refreshed;
  return view;
}

for (const [name, make] of selectedStores()) {
  describe(`queue view (${name})`, () => {
    it('lists every due marker, and the newest within two round trips of a long queue', async () => {
      const fx = await make();
      try {
        const now = Date.now();
        // 3,500 capped jobs of one owner over the last minute, then another owner's job, then one not yet due.
        const hog = Array.from({ length: 3_500 }, (_, i) => marker(now - 60_000 + i * 10, `hog${String(i).padStart(5, '0')}`, 'hog'));
        await putAll(fx.store, [...hog, marker(now - 1_000, 'guestjob', 'guest'), marker(now + 60_000, 'laterjob', 'guest')]);
        let newestInRound = -1;
        const view = await refreshInRounds(fx.store, now, (v, round) => {
          if (newestInRound < 0 && v.get('guestjob')) newestInRound = round;
        });
        expect(view.size).toBe(3_501);
        expect(view.get('laterjob')).toBeUndefined();
        // Paged one after another it would be the fourth (1,000 markers a page).
        expect(newestInRound).toBeLessThanOrEqual(2);
      } finally {
        await fx.cleanup();
      }
    }, 60_000);

    it('shows the oldest markers first, never a later one while an earlier stretch is still being listed', async () => {
      const fx = await make();
      try {
        const now = Date.now();
        // Most of the queue just after the first page (one time range, several pages), the newest far after.
        const early = Array.from({ length: 1_000 }, (_, i) => marker(now - 60_000 + i, `a${String(i).padStart(5, '0')}`, 'hog'));
        const dense = Array.from({ length: 2_500 }, (_, i) => marker(now - 58_000 + i * 2, `b${String(i).padStart(5, '0')}`, 'hog'));
        const newest = marker(now - 1_000, 'guestjob', 'guest');
        const due = [...early, ...dense, newest];
        await putAll(fx.store, due);
        const view = await refreshInRounds(fx.store, now, (v) => {
          const names = v.all().map((e) => e.key);
          expect(names).toEqual(due.slice(0, names.length));
        });
        expect(view.size).toBe(due.length);
      } finally {
        await fx.cleanup();
      }
    }, 60_000);
  });
}
