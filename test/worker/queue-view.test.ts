// The worker's view of the queue: what a listing brings back after the claim loop has let a job go.
import { describe, expect, it } from 'vitest';
import { enqueueJob } from '../../shared/queue/enqueue.js';
import { markerKeyOf, putMarker } from '../../shared/queue/markers.js';
import { QueueView } from '../../worker/queue-view.js';
import { smallRequest } from '../helpers/concept.js';
import { testDeps } from '../helpers/deps.js';
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
  });
}
