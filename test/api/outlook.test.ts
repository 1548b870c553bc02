// Where a job stands: queue position and ETA while pending, a finish estimate while rendering, poll
// hints that follow them, a history of what happened, and /api/metrics — with a real worker process,
// on every backend.
import { describe, expect, it } from 'vitest';
import type { JobDocument } from '../../shared/job/document.js';
import { outlookOf, pollHintMs } from '../../shared/job/eta.js';
import type { SystemMetrics } from '../../shared/metrics/read.js';
import { useWorkerAndApi, waitForJob } from '../helpers/api.js';
import { exampleBody } from '../helpers/concept.js';
import { selectedProcessStores } from '../helpers/stores.js';
import { until } from '../helpers/wait.js';

const window = (p50: number | null) => ({
  completed: p50 ? 10 : 0,
  failed: 0,
  cancelled: 0,
  waitMs: { n: 0, p50: null, p95: null },
  renderMs: { n: p50 ? 10 : 0, p50, p95: p50 },
});
const metrics = (o: Partial<SystemMetrics> & { p50?: number | null }): SystemMetrics => ({
  at: '',
  workers: 1,
  capacity: 2,
  running: 0,
  queued: 0,
  pending: 0,
  ...o,
  windows: { '5m': window(o.p50 ?? null), '1h': window(o.p50 ?? null) },
});
const NOW = Date.parse('2026-11-22T12:00:00Z');
const pending = (jobId: string) => ({ jobId, status: 'pending', runAfter: new Date(NOW - 1000).toISOString(), progress: 0 }) as JobDocument;

describe('outlookOf', () => {
  it('puts a job behind the due jobs ahead of it, and estimates its start from measured render times', () => {
    // a and b run (2 slots busy); c waits ahead of d.
    const snap = { waitingAhead: 1, metrics: metrics({ running: 2, p50: 10_000 }) };
    const o = outlookOf(pending('d'), snap, NOW, 3_000)!;
    expect(o).toMatchObject({ ahead: 3, position: 2, basis: 'measured', workers: 1 });
    expect(Date.parse(o.etaStartAt!) - NOW).toBe(5_000); // half a render for a slot to free up
    expect(Date.parse(o.etaFinishAt!) - Date.parse(o.etaStartAt!)).toBe(10_000);
  });

  it('starts at once when a slot is free, uses the typical time before anything is measured, and knows no time without workers', () => {
    const free = outlookOf(pending('a'), { waitingAhead: 0, metrics: metrics({ running: 0 }) }, NOW, 3_000)!;
    expect(free).toMatchObject({ position: 1, basis: 'typical' });
    expect(Date.parse(free.etaStartAt!)).toBe(NOW);
    const none = outlookOf(pending('a'), { waitingAhead: 0, metrics: metrics({ workers: 0, capacity: 0 }) }, NOW, 3_000)!;
    expect(none).toMatchObject({ position: 1, etaStartAt: null, etaFinishAt: null });
    expect(pollHintMs(pending('a'), none, NOW)).toBe(1000);
  });

  it('estimates a running job from its own pace once it is a fifth done, and polls faster near the end', () => {
    const running = {
      jobId: 'r',
      status: 'processing',
      progress: 80,
      startedAt: new Date(NOW - 8_000).toISOString(),
      attempts: [{ startedAt: new Date(NOW - 8_000).toISOString() }],
    } as unknown as JobDocument;
    const o = outlookOf(running, { waitingAhead: 0, metrics: metrics({ p50: 60_000 }) }, NOW, 3_000)!;
    expect(Date.parse(o.etaFinishAt!) - NOW).toBe(2_000);
    expect(pollHintMs(running, o, NOW)).toBe(667);
    // In the last moments the hint shortens to 200 ms; long overdue, it backs off.
    const nearEnd = { ...running, progress: 95 } as JobDocument;
    expect(pollHintMs(nearEnd, outlookOf(nearEnd, { waitingAhead: 0, metrics: metrics({ p50: 60_000 }) }, NOW, 3_000), NOW)).toBe(200);
    const early = { ...running, progress: 5 } as JobDocument;
    expect(pollHintMs(early, outlookOf(early, { waitingAhead: 0, metrics: metrics({ p50: 60_000 }) }, NOW, 3_000), NOW)).toBe(3000);
  });
});

for (const [name, make] of selectedProcessStores())
  describe(`status, history and metrics with a real worker (${name})`, () => {
    const fx = useWorkerAndApi({ WORKER_CONCURRENCY: '1', RENDER_DELAY_MS: '4000', POLL_INTERVAL_MS: '100' }, make);

    const create = async () =>
      (await (
        await fetch(`${fx.api.url}/api/jobs/render`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ ...exampleBody, projectId: 'eta' }),
        })
      ).json()) as { jobId: string };
    const status = async (jobId: string) =>
      (await (await fetch(`${fx.api.url}/api/jobs/${jobId}?projectId=eta`)).json()) as {
        job: JobDocument;
        pollAfterMs: number;
        queue: Record<string, any> | null;
      };

    it('shows the queue position and an ETA while pending, then the history once done', async () => {
      // The worker reports itself on start; wait until the API can see it.
      await until(async () => ((await (await fetch(`${fx.api.url}/api/metrics`)).json()) as SystemMetrics).workers === 1, 10_000, 'worker report');
      const first = await create();
      await waitForJob(fx.api, 'eta', first.jobId, (j) => j.status === 'processing');
      // The worker publishes its activity within a second of a change.
      await until(
        async () => ((await (await fetch(`${fx.api.url}/api/metrics`)).json()) as SystemMetrics).running === 1,
        10_000,
        'worker to report the running job',
      );
      await create(); // waits behind the first
      const third = await create();
      // The third job is behind the running first and the waiting second. The API's snapshot of the
      // workers' reports is shared for up to 2 s, so the running count may lag by that much.
      let s = await status(third.jobId);
      await until(async () => (s = await status(third.jobId)).queue?.ahead === 2, 5_000, 'the snapshot to count the running job');
      expect(s.job.status).toBe('pending');
      expect(s.queue).toMatchObject({ position: 2, ahead: 2, workers: 1 });
      expect(Date.parse(s.queue!.etaStartAt)).toBeGreaterThan(Date.now());
      expect(s.pollAfterMs).toBeGreaterThanOrEqual(500);

      const done = (await waitForJob(fx.api, 'eta', third.jobId, (j) => j.status === 'completed', 30_000)) as unknown as JobDocument;
      expect(done.history.map((h) => h.type)).toEqual(expect.arrayContaining(['created', 'claimed', 'stage', 'completed']));
      expect(done.history[0]!.type).toBe('created');
      expect(done.history.at(-1)!.type).toBe('completed');
      expect((await status(third.jobId)).queue).toBeNull();
    });

    it('reports queue depth, capacity and measured render times at /api/metrics', async () => {
      let m: SystemMetrics | undefined;
      await until(
        async () => {
          m = (await (await fetch(`${fx.api.url}/api/metrics`)).json()) as SystemMetrics;
          // The worker publishes within a second of each change, its queue view from its own next
          // listing: the last outcome can show a publish before the emptied queue does (seen on postgres).
          return m.windows['5m'].completed >= 3 && m.pending === 0;
        },
        20_000,
        'metrics to show the completed jobs and the emptied queue',
      );
      expect(m).toMatchObject({ workers: 1, capacity: 1, running: 0, pending: 0 });
      expect(m!.windows['5m'].renderMs.p50).toBeGreaterThanOrEqual(1400);
    });
  });
