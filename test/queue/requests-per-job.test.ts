// What one job costs the worker in storage requests, on every backend: on Supabase each request is
// an HTTP round trip to the user's project, so the count is the bill and the sequential chain is the
// latency a user waits for beyond the render itself. The claim loop's own polling is an idle cost,
// measured by the backlog bench; this is the claim, the run and the ending.
import { describe, expect, it } from 'vitest';
import { claimJob } from '../../shared/queue/claim.js';
import { enqueueJob } from '../../shared/queue/enqueue.js';
import { keys } from '../../shared/store/keys.js';
import type { RenderContext, RenderInput } from '../../shared/providers/provider.js';
import { runJob } from '../../shared/runner/run-job.js';
import { smallRequest } from '../helpers/concept.js';
import { callSummary, CountingStore, sequentialDepth } from '../helpers/counting-store.js';
import { testDeps } from '../helpers/deps.js';
import { TimedProvider } from '../helpers/providers.js';
import { selectedStores, useStore } from '../helpers/stores.js';

// Production's proportions (lease 15 s, heartbeat 2 s, caps 20 and 2 per owner, a 5 s render),
// four times faster.
const queue = { leaseMs: 3750, heartbeatMs: 500, maxRunning: 20, maxRunningPerOwner: 2 };
const RENDER_MS = 1250;

class RecordedRender extends TimedProvider {
  window = { endMs: 0 };
  override async render(input: RenderInput, ctx: RenderContext) {
    try {
      return await super.render(input, ctx);
    } finally {
      this.window.endMs = performance.now();
    }
  }
}

for (const [name, make] of selectedStores()) {
  describe(`storage requests of one job at the worker (${name})`, () => {
    const fx = useStore(make);

    for (const ownerId of [null, 'user-1']) {
      it(`claims, runs ${RENDER_MS} ms and completes within budget (${ownerId ? 'a signed-in user: two caps' : 'an API key: one cap'})`, async () => {
        const job = await enqueueJob(testDeps(fx.store, { queue }), smallRequest(`rq-${name}`), { ownerId });
        const counted = new CountingStore(fx.store);
        const deps = testDeps(counted, { queue });
        const provider = new RecordedRender(RENDER_MS);

        const claimFromMs = performance.now();
        const claim = await claimJob(deps, job, { workerId: 'w1' });
        const claimedMs = performance.now();
        if (claim.kind !== 'run') throw new Error(`expected to run, got ${claim.kind}`);
        const done = await runJob(claim.holder, { provider });
        const ranMs = performance.now() - claimedMs;
        expect(done).toMatchObject({ status: 'completed', error: null });

        const calls = counted.calls;
        const docKey = keys.job(job.projectId, job.jobId);
        const visible = calls.find((c) => c.op === 'put' && c.key === docKey && c.startMs >= provider.window.endMs);
        if (!visible) throw new Error('no completed document was written');
        // Waited for: the claim's requests before the render, the ending's before the result shows.
        const sequential = sequentialDepth(calls, claimFromMs, claimedMs) + sequentialDepth(calls, provider.window.endMs, visible.endMs);
        const seen = JSON.stringify({ total: calls.length, sequential, byKind: callSummary(calls) });

        // The budget, from the rules: the claim reads the document, lists and takes a slot per cap,
        // takes the lease, writes the document and moves the marker (2), and looks for a cancel
        // beside it; while running, one look for a cancel per heartbeat and at most one progress
        // write a second (a token check and a put); the ending stores the image (and signs a link, on
        // a store that serves by signed URL), checks the token, writes, charges, drops the marker
        // and frees the slots. Taking a slot used before deletes its previous generation (two
        // entries). A store without an atomic create reads back each slot, the lease and the charge.
        const caps = ownerId ? 2 : 1;
        const signs = fx.store.signedUrl ? 1 : 0;
        const readBacks = fx.store.capabilities.atomicCreate ? 0 : caps + 2;
        const beats = Math.floor(ranMs / queue.heartbeatMs);
        const progressWrites = Math.floor(ranMs / 1000);
        expect(calls.length, seen).toBeLessThanOrEqual(11 + 5 * caps + beats + 2 * progressWrites + signs + readBacks);
        // In sequence: document, the slot listings side by side, each slot, the lease, the document;
        // then the image, its link, the document.
        expect(sequential, seen).toBeLessThanOrEqual(6 + caps + signs + (fx.store.capabilities.atomicCreate ? 0 : caps + 1));
      });
    }
  });
}
