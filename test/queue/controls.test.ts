// Job controls on every store: idempotent creates (also under concurrent duplicates and a create
// that died half way), concurrency caps across several claim loops, start and run deadlines, and
// the charge taken once per completed job.
import { afterEach, describe, expect, it } from 'vitest';
import { claimJob } from '../../shared/queue/claim.js';
import { CLOCK_SKEW_MS } from '../../shared/queue/deps.js';
import { chargeOnce, type ChargeHook } from '../../shared/queue/charge.js';
import { enqueueJob } from '../../shared/queue/enqueue.js';
import { createJobOnce, idempotencyKeyHash } from '../../shared/queue/idempotency.js';
import { readJob, writeJob } from '../../shared/job/job-docs.js';
import { runJob } from '../../shared/runner/run-job.js';
import { RenderRequest } from '../../shared/job/request.js';
import { keys, parseQueueMarker } from '../../shared/store/keys.js';
import { listAll, type ObjectStore } from '../../shared/store/object-store.js';
import { ClaimLoop } from '../../worker/claim-loop.js';
import type { RenderContext, RenderInput, RenderOutput, RenderProvider } from '../../shared/providers/provider.js';
import { StubRenderer } from '../../shared/providers/stub.js';
import { smallRequest } from '../helpers/concept.js';
import { TestClock, testDeps } from '../helpers/deps.js';
import { TimedProvider } from '../helpers/providers.js';
import { selectedStores, type StoreFixture } from '../helpers/stores.js';
import { until } from '../helpers/wait.js';

async function names(store: ObjectStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of listAll(store, prefix)) out.push(e.name);
  return out;
}

/** Records, per job, when its render ran: overlaps are what a cap limits. */
class IntervalProvider implements RenderProvider {
  readonly name = 'interval';
  readonly runs: Array<{ jobId: string; start: number; end: number }> = [];
  private readonly inner: StubRenderer;
  private running = 0;
  private readonly holdUntil: number;
  private readonly reached: Promise<void>;
  private reach!: () => void;
  /**
   * `holdUntilRunning`: renders wait until that many run at once (the first time only), so "the cap
   * was reached" is a state waited for, not a hope that claims racing on a slow server land within
   * one render of each other. Should it never be reached, the jobs never finish and the test says so.
   */
  constructor(ms: number, holdUntilRunning = 0) {
    this.inner = new StubRenderer({ delayMs: ms });
    this.reached = new Promise((resolve) => (this.reach = resolve));
    if (holdUntilRunning === 0) this.reach();
    this.holdUntil = holdUntilRunning;
  }
  async render(input: RenderInput, ctx: RenderContext): Promise<RenderOutput> {
    const start = Date.now();
    if (++this.running >= this.holdUntil) this.reach();
    try {
      await this.reached;
      return await this.inner.render(input, ctx);
    } finally {
      this.running--;
      this.runs.push({ jobId: input.jobId, start, end: Date.now() });
    }
  }
}

function maxOverlap(runs: Array<{ start: number; end: number }>): number {
  const events = runs.flatMap((r) => [[r.start, 1] as const, [r.end, -1] as const]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let max = 0;
  for (const [, d] of events) max = Math.max(max, (now += d));
  return max;
}

for (const [name, make] of selectedStores()) {
  describe(`job controls (${name})`, () => {
    // Each test gets its own store: jobs, slots and markers of one must not feed the next.
    const fixtures: StoreFixture[] = [];
    afterEach(async () => {
      for (const f of fixtures.splice(0)) await f.cleanup();
    });
    async function freshStore(): Promise<ObjectStore> {
      const f = await make();
      fixtures.push(f);
      return f.store;
    }

    describe('idempotency keys', () => {
      it('gives concurrent duplicates one job: one document, one marker, one first answer', async () => {
        const store = await freshStore();
        const deps = testDeps(store);
        const request = smallRequest('idem-race');
        const outcomes = await Promise.all(Array.from({ length: 12 }, () => createJobOnce(deps, request, { ownerId: null, idempotencyKey: 'order-42' })));
        const ids = new Set(outcomes.map((o) => o.job.jobId));
        expect(ids.size).toBe(1);
        expect(outcomes.filter((o) => !o.replayed)).toHaveLength(1);
        expect(await names(store, 'jobs/idem-race/')).toEqual([`${[...ids][0]}.json`]);
        expect((await names(store, 'queue/')).filter((n) => parseQueueMarker(n)?.jobId === [...ids][0]!)).toHaveLength(1);
        expect(outcomes[0]!.job.idempotencyKey).toBe('order-42');
      });

      it('refuses the same key with a different request, and keeps keys apart per owner', async () => {
        const store = await freshStore();
        const deps = testDeps(store);
        const a = await createJobOnce(deps, smallRequest('idem-diff'), { ownerId: 'alice', idempotencyKey: 'k1' });
        const other = RenderRequest.parse({ ...smallRequest('idem-diff'), maxAttempts: 1 });
        await expect(createJobOnce(deps, other, { ownerId: 'alice', idempotencyKey: 'k1' })).rejects.toMatchObject({
          code: 'idempotency_key_reused',
          status: 422,
        });
        const b = await createJobOnce(deps, smallRequest('idem-diff'), { ownerId: 'bob', idempotencyKey: 'k1' });
        expect(b.job.jobId).not.toBe(a.job.jobId);
        expect(b.job.ownerId).toBe('bob');
      });

      it('finishes a create that died after its record, with the job id the record promised', async () => {
        const store = await freshStore();
        const clock = new TestClock();
        const deps = testDeps(store, { clock });
        const request = smallRequest('idem-crash');
        // The record as a crashed create left it: written, and nothing else.
        const first = await createJobOnce(deps, request, { ownerId: null, idempotencyKey: 'crashy' });
        await store.delete(keys.job('idem-crash', first.job.jobId));
        for (const n of await names(store, 'queue/')) if (parseQueueMarker(n)?.jobId === first.job.jobId) await store.delete(`queue/${n}`);
        // A retry right away waits for the first request, then says so…
        await expect(createJobOnce(deps, request, { ownerId: null, idempotencyKey: 'crashy' })).rejects.toMatchObject({
          code: 'idempotency_in_progress',
          status: 409,
        });
        // …and once the first is clearly gone, finishes its work.
        clock.advance(6_000);
        const again = await createJobOnce(deps, request, { ownerId: null, idempotencyKey: 'crashy' });
        expect(again).toMatchObject({ replayed: true, job: { jobId: first.job.jobId, status: 'pending' } });
        expect(await readJob(store, 'idem-crash', first.job.jobId)).toMatchObject({ status: 'pending' });
        expect(await store.get(keys.idempotency('idem-crash', idempotencyKeyHash(null, 'crashy')))).not.toBeNull();
      });
    });

    describe('concurrency caps', () => {
      // claimSettleMs outlasts the racy stand-in's 20–40 ms create window, as CLAIM_SETTLE_MS must in production.
      it('never runs more than the global cap, nor more than the owner cap, across three workers', async () => {
        const store = await freshStore();
        const deps = testDeps(store, { queue: { maxRunning: 3, maxRunningPerOwner: 1, pollIntervalMs: 30, claimSettleMs: 100 } });
        const provider = new IntervalProvider(400, 3);
        const owners = ['ann', 'ben', 'cat', 'dan'];
        const jobs = await Promise.all(Array.from({ length: 12 }, (_, i) => enqueueJob(deps, smallRequest('caps'), { ownerId: owners[i % owners.length]! })));
        const loops = ['w1', 'w2', 'w3'].map((id) => new ClaimLoop(deps, { workerId: id, concurrency: 4, provider }));
        for (const l of loops) l.start();
        await until(
          async () => {
            const docs = await Promise.all(jobs.map((j) => readJob(store, j.projectId, j.jobId)));
            return docs.every((d) => d?.status === 'completed');
          },
          30_000,
          'every capped job completed',
        );
        await Promise.all(loops.map((l) => l.stop(1000)));
        const ownerOf = new Map(jobs.map((j) => [j.jobId, j.ownerId!]));
        // Over the cap they waited; none was dropped, and the cap was reached, not just respected.
        expect(provider.runs).toHaveLength(12);
        expect(maxOverlap(provider.runs)).toBe(3);
        for (const owner of owners) expect(maxOverlap(provider.runs.filter((r) => ownerOf.get(r.jobId) === owner))).toBe(1);
        // Every slot is free again.
        const tops = await names(store, 'slots/all/');
        expect(tops.filter((n) => n.endsWith('-h')).every((h) => tops.includes(h.replace(/-h$/, '-f')))).toBe(true);
      });

      it('answers capped while the cap is full, and takes over a slot whose holder died', async () => {
        const store = await freshStore();
        const clock = new TestClock();
        const deps = testDeps(store, { clock, queue: { maxRunning: 1, maxRunningPerOwner: 0 } });
        const [a, b] = [await enqueueJob(deps, smallRequest('cap-dead')), await enqueueJob(deps, smallRequest('cap-dead'))];
        const first = await claimJob(deps, a!, { workerId: 'doomed' });
        expect(first.kind).toBe('run');
        expect(await claimJob(deps, b!, { workerId: 'w2' })).toMatchObject({ kind: 'capped', full: 'global' });
        // The first worker dies without freeing its slot; once its lease has run out, the slot is free.
        clock.advance(deps.queue.leaseMs + 2_000);
        const second = await claimJob(deps, b!, { workerId: 'w2' });
        expect(second.kind).toBe('run');
      });

      it('frees every slot of dead holders at the first claim that finds them, not one per claim', async () => {
        const store = await freshStore();
        const clock = new TestClock();
        const deps = testDeps(store, { clock, queue: { maxRunning: 3, maxRunningPerOwner: 0 } });
        const jobs = [];
        for (let i = 0; i < 4; i++) jobs.push(await enqueueJob(deps, smallRequest('cap-dead')));
        // A worker running three jobs is killed: its three slots stay held.
        for (const job of jobs.slice(0, 3)) expect((await claimJob(deps, job, { workerId: 'doomed' })).kind).toBe('run');
        clock.advance(deps.queue.leaseMs + 2_000);
        expect((await claimJob(deps, jobs[3]!, { workerId: 'w2' })).kind).toBe('run');
        // One slot is the new job's; the dead worker's other two are free for the next claims, which
        // then need no check of held slots (two reads each) to start.
        const entries = await names(store, 'slots/all/');
        const newest = new Map<string, string>();
        for (const n of entries.sort()) newest.set(n.slice(0, 4), n);
        const held = [...newest.values()].filter((n) => n.endsWith('-h') && !entries.includes(n.replace(/-h$/, '-f')));
        expect(held).toHaveLength(1);
      });

      it('frees the slot at the ending, whether the marker it moves there is still there or the slot was freed first', async () => {
        const store = await freshStore();
        const deps = testDeps(store, { queue: { maxRunning: 1, maxRunningPerOwner: 0 } });
        for (const before of ['nothing', 'a scan dropped the marker', 'a sweep freed the slot']) {
          const job = await enqueueJob(deps, smallRequest('cap-free'));
          const claim = await claimJob(deps, job, { workerId: 'w1' });
          if (claim.kind !== 'run') throw new Error(`${before}: expected to run, got ${claim.kind}`);
          if (before === 'a scan dropped the marker') await store.delete(claim.holder.doc.marker!);
          const held = (await names(store, 'slots/all/'))
            .filter((n) => n.endsWith('-h'))
            .sort()
            .at(-1)!;
          if (before === 'a sweep freed the slot') await store.put(`slots/all/${held.replace(/-h$/, '-f')}`, '{}');
          expect(await runJob(claim.holder, { provider: new TimedProvider(10) }), before).toMatchObject({ status: 'completed' });
          expect(
            (await names(store, 'queue/')).filter((n) => parseQueueMarker(n)?.jobId === job.jobId),
            before,
          ).toEqual([]);
          expect(await names(store, 'slots/all/'), before).toContain(held.replace(/-h$/, '-f'));
        }
        // The cap of one is free: the next job starts at once (a held slot would not look stale for a lease's time).
        expect((await claimJob(deps, await enqueueJob(deps, smallRequest('cap-free')), { workerId: 'w2' })).kind).toBe('run');
      });
    });

    describe('deadlines', () => {
      it('expires a job not started by its start deadline, even while the cap is full', async () => {
        const store = await freshStore();
        const clock = new TestClock();
        const deps = testDeps(store, { clock, queue: { maxRunning: 1 } });
        const blocker = await enqueueJob(deps, smallRequest('deadline'));
        expect((await claimJob(deps, blocker, { workerId: 'w1' })).kind).toBe('run');
        const job = await enqueueJob(deps, RenderRequest.parse({ ...smallRequest('deadline'), startWithinMs: 1_000 }));
        clock.advance(1_500);
        const outcome = await claimJob(deps, job, { workerId: 'w2' });
        expect(outcome.kind).toBe('finished');
        const doc = await readJob(store, job.projectId, job.jobId);
        expect(doc).toMatchObject({ status: 'failed', errorCode: 'expired', imageUrl: null });
        expect(doc!.error).toMatch(/start deadline/);
      });

      it('aborts an attempt that runs past its run deadline, and fails it when no attempts remain', async () => {
        const store = await freshStore();
        const deps = testDeps(store);
        const job = await enqueueJob(deps, RenderRequest.parse({ ...smallRequest('deadline'), runWithinMs: 1_000, maxAttempts: 1 }));
        const provider = new TimedProvider(5_000);
        const claim = await claimJob(deps, job, { workerId: 'w1' });
        if (claim.kind !== 'run') throw new Error('expected to run');
        const started = Date.now();
        const doc = await runJob(claim.holder, { provider });
        expect(Date.now() - started).toBeLessThan(3_000);
        expect(provider.aborts).toBe(1);
        expect(doc).toMatchObject({ status: 'failed', errorCode: 'run_deadline_exceeded' });
      });
    });

    describe('usage charge', () => {
      it('charges a completed job once, however often it is asked, and never a failed one', async () => {
        const store = await freshStore();
        const calls: string[] = [];
        const charge: ChargeHook = async (c) => void calls.push(c.idempotencyKey);
        const clock = new TestClock();
        const deps = { ...testDeps(store, { clock }), charge };
        const job = await enqueueJob(deps, smallRequest('charge'));
        const claim = await claimJob(deps, job, { workerId: 'w1' });
        if (claim.kind !== 'run') throw new Error('expected to run');
        const done = await runJob(claim.holder, { provider: new TimedProvider(10) });
        expect(done?.status).toBe('completed');
        // Asked by others: on a racy store left to the ending's writer for a lease's time, then found taken.
        const again = () => Promise.all([chargeOnce(deps, done!), chargeOnce(deps, done!), chargeOnce(deps, done!)]);
        const early = store.capabilities.atomicCreate ? 'already' : 'writers_turn';
        expect(await again()).toEqual([early, early, early]);
        clock.advance(deps.queue.leaseMs + CLOCK_SKEW_MS);
        expect(await again()).toEqual(['already', 'already', 'already']);
        expect(calls).toEqual([job.jobId]);
        const ledger = JSON.parse((await store.get(keys.charge('charge', job.jobId)))!.body.toString());
        expect(ledger).toMatchObject({ state: 'charged', credits: 1, jobId: job.jobId });

        const failed = { ...done!, jobId: job.jobId.slice(0, -1) + (job.jobId.endsWith('0') ? '1' : '0'), status: 'failed' as const, result: null };
        expect(await chargeOnce(deps, failed)).toBe('not_completed');
        expect(calls).toHaveLength(1);
      });

      it('charges a job whose worker died between completing it and charging it, when a scan finds its marker', async () => {
        const store = await freshStore();
        const calls: string[] = [];
        const deps = { ...testDeps(store), charge: (async (c) => void calls.push(c.jobId)) as ChargeHook };
        const job = await enqueueJob(deps, smallRequest('charge-crash'));
        // What the dead worker left a lease ago (till then the charge was its own): the completed
        // document, its queue marker, no charge marker.
        const endedAt = new Date(Date.now() - deps.queue.leaseMs - CLOCK_SKEW_MS).toISOString();
        await writeJob(store, { ...job, status: 'completed', progress: 100, completedAt: endedAt, updatedAt: endedAt, attempt: 1 });
        const loop = new ClaimLoop(deps, { workerId: 'sweeper', concurrency: 1, provider: new TimedProvider(10) });
        loop.start();
        await until(async () => (await names(store, 'queue/')).every((n) => parseQueueMarker(n)?.jobId !== job.jobId), 5_000, 'marker tidied');
        await loop.stop(500);
        expect(calls).toEqual([job.jobId]);
      });
    });
  });
}
