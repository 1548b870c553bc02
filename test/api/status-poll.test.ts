// A status poll of a waiting job reads the workers' reports through a snapshot its instance shares:
// a poll after the snapshot's time does not wait for the reports (two round trips of a storage
// server that a draining worker keeps busy) unless the snapshot is too old to serve.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config.js';
import { METRICS_FOLDER } from '../../shared/metrics/publish.js';
import { encodeTimes, WorkerReport } from '../../shared/metrics/recent.js';
import { enqueueJob } from '../../shared/queue/enqueue.js';
import { FsObjectStore } from '../../shared/store/fs-store.js';
import { keys } from '../../shared/store/keys.js';
import type { ObjectStore } from '../../shared/store/object-store.js';
import type { AppContext } from '../../shared/use-cases/context.js';
import { viewJob } from '../../shared/use-cases/view-job.js';
import { smallRequest } from '../helpers/concept.js';
import { silentLog, TestClock, testDeps } from '../helpers/deps.js';
import { until } from '../helpers/wait.js';

/** The store, with listings of the workers' reports held while `held` is set. */
function gated(store: ObjectStore) {
  const state = { held: null as Promise<void> | null, release: () => {}, asked: 0 };
  const wrapped = Object.create(store) as ObjectStore;
  wrapped.list = async (prefix, opts) => {
    if (prefix === METRICS_FOLDER) {
      state.asked++;
      await state.held;
    }
    return store.list(prefix, opts);
  };
  const hold = () => (state.held = new Promise<void>((r) => (state.release = () => ((state.held = null), r()))));
  return { store: wrapped, state, hold };
}

describe('status poll of a pending job', () => {
  let dir: string;
  let fs: FsObjectStore;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'status-poll-'));
    fs = new FsObjectStore(dir);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const report = (clock: TestClock, workerId: string, due: number[]): Promise<void> => {
    const r: WorkerReport = { workerId, at: clock.now(), concurrency: 2, active: 0, samples: [], queue: { at: clock.now(), due: encodeTimes(due) } };
    return fs.put(keys.workerMetrics(workerId), JSON.stringify(r));
  };

  it('answers from the last snapshot while a fresh one loads, and waits for one only when the last is too old', async () => {
    const clock = new TestClock();
    const g = gated(fs);
    const deps = testDeps(g.store, { clock });
    const ctx: AppContext = { config: loadConfig({ NODE_ENV: 'test' }), store: g.store, log: silentLog, queue: deps };
    const job = await enqueueJob(deps, smallRequest('poll'), { ownerId: 'o' });
    // One worker reports three due jobs older than this one.
    const t = clock.now() - 60_000;
    await report(clock, 'w1', [t, t + 1, t + 2]);
    const first = await viewJob(ctx, { kind: 'service' }, job);
    expect(first.outlook).toMatchObject({ position: 4, workers: 1 });

    // Past the snapshot's 2 s, with the reports' listing held: the poll answers from the last snapshot.
    clock.advance(3_000);
    await report(clock, 'w2', []);
    g.hold();
    const asked = g.state.asked;
    const stale = await viewJob(ctx, { kind: 'service' }, job);
    expect(stale.outlook).toMatchObject({ position: 4, workers: 1 });
    // A fresh snapshot was asked for meanwhile, and is what the next poll sees once it is read.
    expect(g.state.asked).toBe(asked + 1);
    g.state.release();
    await until(async () => (await viewJob(ctx, { kind: 'service' }, job)).outlook?.workers === 2, 5_000, 'the fresh snapshot');

    // An instance idle for longer than the snapshot may be served waits for the reports.
    clock.advance(10_000);
    await report(clock, 'w1', []);
    await report(clock, 'w2', []);
    g.hold();
    let settled = false;
    const waiting = viewJob(ctx, { kind: 'service' }, job).finally(() => (settled = true));
    await until(() => g.state.asked > asked + 1, 5_000, 'the reports to be listed');
    expect(settled).toBe(false);
    g.state.release();
    expect((await waiting).outlook).toMatchObject({ position: 1, workers: 2 });
  });

  it("takes a report's due times only when each is a whole number of ms, however many there are", () => {
    const of = (due: unknown[]) => WorkerReport.safeParse({ workerId: 'w', at: 1, concurrency: 1, active: 0, samples: [], queue: { at: 1, due } }).success;
    expect(of(encodeTimes(Array.from({ length: 20_000 }, (_, i) => 1_700_000_000_000 + i)))).toBe(true);
    for (const bad of [[1, -1], [1, 1.5], [1, '2'], [Number.NaN], Array.from({ length: 200_001 }, () => 0)]) expect(of(bad)).toBe(false);
  });
});
