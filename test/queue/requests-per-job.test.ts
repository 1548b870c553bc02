// What one job costs the worker in storage requests, on every backend: on Supabase each request is
// an HTTP round trip to the user's project, so the count is the bill and the sequential chain is the
// latency a user waits for beyond the render itself. The claim loop's own polling is an idle cost,
// measured by the backlog bench; this is the claim, the run and the ending.
import { describe, expect, it } from 'vitest';
import { claimJob } from '../../shared/queue/claim.js';
import { enqueueJob } from '../../shared/queue/enqueue.js';
import { keys } from '../../shared/store/keys.js';
import type { RenderContext, RenderInput, RenderProvider } from '../../shared/providers/provider.js';
import { StubRenderer } from '../../shared/providers/stub.js';
import type { QueueDeps } from '../../shared/queue/deps.js';
import { SLOT_HISTORY_BATCH } from '../../shared/queue/slots.js';
import { runJob } from '../../shared/runner/run-job.js';
import { smallRequest } from '../helpers/concept.js';
import { callSummary, CountingStore, sequentialDepth } from '../helpers/counting-store.js';
import { testDeps } from '../helpers/deps.js';
import { selectedStores, useStore } from '../helpers/stores.js';

// Production's proportions (lease 15 s, heartbeat 2 s, caps 20 and 2 per owner, a 5 s render),
// four times faster.
const queue = { leaseMs: 3750, heartbeatMs: 500, maxRunning: 20, maxRunningPerOwner: 2 };
const RENDER_MS = 1250;

/** The stub renderer, reporting progress once or (as the render kind does) not at all. */
class RecordedRender implements RenderProvider {
  readonly name = 'recorded';
  window = { endMs: 0 };
  constructor(
    private readonly ms: number,
    private readonly reports: boolean,
  ) {}
  async render(input: RenderInput, ctx: RenderContext) {
    try {
      if (this.reports) ctx.onProgress({ progress: 10, stage: 'working' });
      return await new StubRenderer({ delayMs: this.ms }).render(input, ctx);
    } finally {
      this.window.endMs = performance.now();
    }
  }
}

const cases = [
  { what: 'an API key: one cap, a render that reports no progress', ownerId: null, reports: false, slotUsedBefore: false },
  { what: 'a signed-in user: two caps, a render that reports progress', ownerId: 'user-1', reports: true, slotUsedBefore: false },
  { what: 'an API key, its one slot used by a job before', ownerId: null, reports: false, slotUsedBefore: true },
];

for (const [name, make] of selectedStores()) {
  describe(`storage requests of one job at the worker (${name})`, () => {
    const fx = useStore(make);

    for (const c of cases) {
      it(`claims, runs ${RENDER_MS} ms and completes within budget (${c.what})`, async () => {
        // A cap of one slot when it must have been used before; else a fresh store's caps.
        const q = c.slotUsedBefore ? { ...queue, maxRunning: 1 } : queue;
        const project = `rq-${name}-${c.slotUsedBefore ? 'reuse' : 'fresh'}`;
        if (c.slotUsedBefore) await runOne(testDeps(fx.store, { queue: q }), project, new RecordedRender(0, false));
        const job = await enqueueJob(testDeps(fx.store, { queue: q }), smallRequest(project), { ownerId: c.ownerId });
        const counted = new CountingStore(fx.store);
        const deps = testDeps(counted, { queue: q });
        const provider = new RecordedRender(RENDER_MS, c.reports);

        const claimFromMs = performance.now();
        // As the worker claims a poked job: the global slots listed beside the document read, the
        // render started beside the claim's document write.
        const claim = await claimJob(deps, job, { workerId: 'w1', listSlotsAhead: true, startBeforeWritten: true });
        const claimedMs = performance.now();
        if (claim.kind !== 'run') throw new Error(`expected to run, got ${claim.kind}`);
        const done = await runJob(claim.holder, { provider });
        const ranMs = performance.now() - claimedMs;
        expect(done).toMatchObject({ status: 'completed', error: null });

        const calls = counted.calls;
        const docKey = keys.job(job.projectId, job.jobId);
        const visible = calls.find((x) => x.op === 'put' && x.key === docKey && x.startMs >= provider.window.endMs);
        if (!visible) throw new Error('no completed document was written');
        // Waited for: the claim's requests before the render, the ending's before the result shows.
        // A heartbeat's look for a cancel may fall inside the ending (it goes on while the image is
        // stored) and, by its times alone, look like a step before it: the ending never waits for one.
        const ending = calls.filter((x) => !x.key.startsWith('cancel/'));
        const sequential = sequentialDepth(calls, claimFromMs, claimedMs) + sequentialDepth(ending, provider.window.endMs, visible.endMs);
        const seen = JSON.stringify({ total: calls.length, sequential, byKind: callSummary(calls) });

        // The budget, from the rules: the claim reads the document, lists and takes a slot per cap,
        // takes the lease, writes the document and moves the marker (one request), and looks for no
        // cancel (a job never claimed has no request); while running, one look for a cancel per
        // heartbeat and at most one progress write a second (a token check and a put), and no
        // renewal (a run shorter than half the lease needs none); the ending stores the image (and signs a link, on a store that serves
        // by signed URL), checks the token, writes, charges, and frees the slots, one of them by moving
        // the marker to its free entry (one request drops the marker and frees that slot).
        // Taking a slot used before deletes nothing (history goes in batches). A store without an
        // atomic create reads back each slot and the lease (the charge is the ending's writer's
        // alone for a while: it needs none).
        const caps = c.ownerId ? 2 : 1;
        const signs = fx.store.signedUrl ? 1 : 0;
        const readBacks = fx.store.capabilities.atomicCreate ? 0 : caps + 1;
        const beats = Math.floor(ranMs / queue.heartbeatMs);
        const progressWrites = c.reports ? Math.floor(ranMs / 1000) : 0;
        expect(calls.length, seen).toBeLessThanOrEqual(8 + 3 * caps + beats + 2 * progressWrites + signs + readBacks);
        // The document: the claim, the progress, the ending; no renewal, no "storing" write the ending waits for.
        expect(calls.filter((x) => x.op === 'put' && x.key === docKey).length, seen).toBeLessThanOrEqual(2 + progressWrites);
        expect(
          calls.filter((x) => x.op.startsWith('delete') && x.key.startsWith('slots/')),
          seen,
        ).toEqual([]);
        // In sequence: the document beside the global slots' listing (an owner's slots are listed
        // once the document names the owner), each slot, the lease — the claim's document write
        // goes beside the render —; then the image, its link, the document.
        const ownerListing = c.ownerId ? 1 : 0;
        expect(sequential, seen).toBeLessThanOrEqual(4 + caps + ownerListing + signs + (fx.store.capabilities.atomicCreate ? 0 : caps + 1));
      });
    }

    it(`deletes a slot's history in batches, not two requests a take, and keeps its listing short`, async () => {
      const counted = new CountingStore(fx.store);
      const deps = testDeps(counted, { queue: { ...queue, maxRunning: 1, maxRunningPerOwner: 0 } });
      // Each take leaves two entries of history; the take that finds a batch of it deletes it all at once.
      for (let i = 0; i < SLOT_HISTORY_BATCH / 2 + 3; i++) await runOne(deps, `rq-${name}-history`, new RecordedRender(0, false));
      const slotDeletes = counted.calls.filter((x) => x.op.startsWith('delete') && x.key.startsWith('slots/'));
      expect(slotDeletes.map((x) => x.op)).toEqual(['deleteMany']);
      const left = (await fx.store.list('slots/all/', { limit: 1000 })).items;
      expect(left.length).toBeGreaterThan(0);
      expect(left.length).toBeLessThan(2 + SLOT_HISTORY_BATCH);
    }, 90_000); // nineteen jobs: on the real server, three settles of 250 ms each
  });
}

async function runOne(deps: QueueDeps, project: string, provider: RenderProvider): Promise<void> {
  const job = await enqueueJob(deps, smallRequest(project));
  const claim = await claimJob(deps, job, { workerId: 'w0' });
  if (claim.kind !== 'run') throw new Error(`expected to run, got ${claim.kind}`);
  expect(await runJob(claim.holder, { provider })).toMatchObject({ status: 'completed' });
}
