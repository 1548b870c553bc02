// Every way a job can end sends exactly one outcome webhook and charges at most once: the worker's
// outcomes, endings decided at claim time, the API's cancel, inline runs, and a scan that tidies
// after a holder that died once the job had ended.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobDocument } from '../../shared/job/document.js';
import type { RenderRequest } from '../../shared/job/request.js';
import type { ChargeHook } from '../../shared/queue/charge.js';
import { requestCancel } from '../../shared/queue/cancel.js';
import { claimJob } from '../../shared/queue/claim.js';
import type { QueueDeps } from '../../shared/queue/deps.js';
import { jobEnded } from '../../shared/queue/ended.js';
import { enqueueJob } from '../../shared/queue/enqueue.js';
import { handBack } from '../../shared/queue/finish.js';
import { runInline } from '../../shared/runner/run-inline.js';
import { runJob } from '../../shared/runner/run-job.js';
import { keys } from '../../shared/store/keys.js';
import { WebhookNotifier } from '../../shared/webhooks/notifier.js';
import { smallRequest } from '../helpers/concept.js';
import { silentLog, TestClock, testDeps } from '../helpers/deps.js';
import { FailingProvider, TimedProvider, permanent, retryable } from '../helpers/providers.js';
import { selectedStores, useStore } from '../helpers/stores.js';

const SECRET = `whsec_${Buffer.from('render-jobs-test-webhook-secret!').toString('base64')}`;

/** A loopback receiver that records the event type of each delivery, by job. */
function useReceiver() {
  const got: Array<{ jobId: string; type: string }> = [];
  let server: Server;
  let url = '';
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const { type, data } = JSON.parse(body) as { type: string; data: { job: { jobId: string } } };
        got.push({ jobId: data.job.jobId, type });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  return { got, url: () => url };
}

for (const [name, make] of selectedStores()) {
  describe(`every ending sends one outcome webhook and charges at most once (${name})`, () => {
    const fx = useStore(make);
    const receiver = useReceiver();
    const charged: string[] = [];
    const charge: ChargeHook = async (c) => void charged.push(c.jobId);

    function deps(clock?: TestClock, queue: Partial<QueueDeps['queue']> = {}): QueueDeps {
      const webhooks = new WebhookNotifier(
        fx.store,
        { secret: SECRET, policy: { requireHttps: false, allowPrivate: true }, timeoutMs: 2_000, maxAttempts: 1, backoffMs: [10] },
        silentLog,
      );
      return { ...testDeps(fx.store, { clock, queue }), webhooks, charge };
    }
    const hooked = (req: RenderRequest, extra: Partial<RenderRequest> = {}): RenderRequest => ({
      ...req,
      ...extra,
      webhook: { url: receiver.url(), events: ['completed', 'failed', 'cancelled'] },
    });
    async function claimToRun(d: QueueDeps, job: JobDocument) {
      const o = await claimJob(d, job, { workerId: 'w1' });
      if (o.kind !== 'run') throw new Error(`expected run, got ${o.kind}`);
      return o.holder;
    }
    /** Waits for every delivery, then gives the job's outcome events and its charges. */
    async function outcomeOf(d: QueueDeps, jobId: string) {
      await d.webhooks!.idle();
      return { events: receiver.got.filter((g) => g.jobId === jobId).map((g) => g.type), charges: charged.filter((c) => c === jobId).length };
    }

    it('completed by a worker, then found again by a scan after its holder died', async () => {
      const d = deps();
      const job = await enqueueJob(d, hooked(smallRequest('end')));
      const done = (await runJob(await claimToRun(d, job), { provider: new TimedProvider(5) }))!;
      // A scan that finds the ended job (its holder died before dropping the marker) tidies up, silently.
      await jobEnded(d, done, { announce: false });
      expect(await outcomeOf(d, job.jobId)).toEqual({ events: ['job.completed'], charges: 1 });
    });

    it('failed at once (a permanent error) and after its last retry', async () => {
      const d = deps();
      const a = await enqueueJob(d, hooked(smallRequest('end')));
      await runJob(await claimToRun(d, a), { provider: new FailingProvider(permanent) });
      const b = await enqueueJob(d, hooked(smallRequest('end'), { maxAttempts: 1 }));
      await runJob(await claimToRun(d, b), { provider: new FailingProvider(retryable) });
      expect(await outcomeOf(d, a.jobId)).toEqual({ events: ['job.failed'], charges: 0 });
      expect(await outcomeOf(d, b.jobId)).toEqual({ events: ['job.failed'], charges: 0 });
    });

    it('expired before it started (decided at claim)', async () => {
      const clock = new TestClock();
      const d = deps(clock);
      const job = await enqueueJob(d, hooked(smallRequest('end'), { startWithinMs: 1_000 }));
      clock.advance(2_000);
      const o = await claimJob(d, job, { workerId: 'w1' });
      expect(o).toMatchObject({ kind: 'finished', doc: { status: 'failed', errorCode: 'expired' } });
      expect(await outcomeOf(d, job.jobId)).toEqual({ events: ['job.failed'], charges: 0 });
    });

    it('lost its worker on its last attempt (decided at claim)', async () => {
      const clock = new TestClock();
      const d = deps(clock);
      const job = await enqueueJob(d, hooked(smallRequest('end'), { maxAttempts: 1 }));
      await claimToRun(d, job); // this worker dies: no heartbeat, no outcome
      clock.advance(d.queue.leaseMs + 2_000);
      const o = await claimJob(d, job, { workerId: 'w2' });
      expect(o).toMatchObject({ kind: 'finished', doc: { status: 'failed', errorCode: 'worker_lost' } });
      expect(await outcomeOf(d, job.jobId)).toEqual({ events: ['job.failed'], charges: 0 });
    });

    it('cancelled: found at claim, pending through the API, and running', async () => {
      const d = deps();
      // Asked while its worker ran it, which handed it back before seeing the request.
      const atClaim = await enqueueJob(d, hooked(smallRequest('end')));
      await handBack(await claimToRun(d, atClaim));
      await fx.store.put(keys.cancel(atClaim.jobId), JSON.stringify({ requestedAt: new Date().toISOString() }));
      expect(await claimJob(d, atClaim, { workerId: 'w1' })).toMatchObject({ kind: 'finished', doc: { status: 'cancelled' } });

      const pending = await enqueueJob(d, hooked(smallRequest('end')));
      expect((await requestCancel(d, pending)).job.status).toBe('cancelled');

      const running = await enqueueJob(d, hooked(smallRequest('end')));
      const run = runJob(await claimToRun(d, running), { provider: new TimedProvider(5_000) });
      await requestCancel(d, running);
      expect((await run)?.status).toBe('cancelled');
      for (const job of [atClaim, pending, running]) expect(await outcomeOf(d, job.jobId)).toEqual({ events: ['job.cancelled'], charges: 0 });
    });

    it('run inline (a preview)', async () => {
      const d = deps();
      const ok = await runInline(d, hooked({ ...smallRequest('end'), kind: 'preview' }), { budgetMs: 5_000, signedUrlTtlS: 60 });
      expect(ok).toMatchObject({ status: 'completed', stage: 'done' }); // the same ending document as a worker's
      expect(await outcomeOf(d, ok.jobId)).toEqual({ events: ['job.completed'], charges: 0 });
    });
  });
}
