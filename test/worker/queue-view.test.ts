// The worker's view of the queue: a full listing finds every due marker, and reads a long queue's
// far end in a few round trips (a restarted worker behind 20,000 capped jobs claims another owner's
// newest job without first paging through them all).
import { describe, expect, it } from 'vitest';
import { ownerTag } from '../../shared/queue/markers.js';
import { keys } from '../../shared/store/keys.js';
import type { ListOptions, ObjectStore } from '../../shared/store/object-store.js';
import { QueueView } from '../../worker/queue-view.js';
import { testDeps } from '../helpers/deps.js';
import { selectedStores, useStore } from '../helpers/stores.js';
import { until } from '../helpers/wait.js';

/** Holds every listing until the test lets the whole round through: counts sequential round trips. */
function gatedListings(store: ObjectStore) {
  let waiting: Array<() => void> = [];
  const gated: ObjectStore = Object.create(store);
  gated.list = async (prefix: string, opts?: ListOptions) => {
    await new Promise<void>((release) => waiting.push(release));
    return store.list(prefix, opts);
  };
  return {
    store: gated,
    get pending() {
      return waiting.length;
    },
    releaseRound() {
      const round = waiting;
      waiting = [];
      for (const release of round) release();
    },
  };
}

for (const [name, make] of selectedStores()) {
  describe(`queue view (${name})`, () => {
    const fx = useStore(make);

    it('lists every due marker, and the newest within two round trips of a long queue', async () => {
      const now = Date.now();
      // 3,500 capped jobs of one owner over the last minute, then another owner's job, then one not yet due.
      const marker = (at: number, jobId: string, owner: string) => keys.queueMarker(at, jobId, { projectId: 'p', state: 'p', owner: ownerTag(owner) });
      const hog = Array.from({ length: 3_500 }, (_, i) => marker(now - 60_000 + i * 10, `hog${String(i).padStart(5, '0')}`, 'hog'));
      const newest = marker(now - 1_000, 'guestjob', 'guest');
      const later = marker(now + 60_000, 'laterjob', 'guest');
      const all = [...hog, newest, later];
      for (let i = 0; i < all.length; i += 100) await Promise.all(all.slice(i, i + 100).map((key) => fx.store.put(key, '{"projectId":"p"}')));

      const gate = gatedListings(fx.store);
      const view = new QueueView({ ...testDeps(gate.store), now: () => now });
      let rounds = 0;
      let newestInRound = 0;
      let done = false;
      const refreshed = view.refresh();
      void refreshed.finally(() => (done = true));
      while (!done) {
        await until(() => done || gate.pending > 0);
        // What the rounds so far brought in (the listings now waiting come after their results).
        if (!newestInRound && view.get('guestjob')) newestInRound = rounds;
        if (done) break;
        await new Promise((r) => setImmediate(r));
        rounds++;
        gate.releaseRound();
      }
      await refreshed;
      if (!newestInRound && view.get('guestjob')) newestInRound = rounds;
      expect(view.size).toBe(3_501);
      expect(view.get('laterjob')).toBeUndefined();
      // Paged one after another it would be the fourth (1,000 markers a page).
      expect(newestInRound).toBeLessThanOrEqual(2);
    }, 60_000);
  });
}
