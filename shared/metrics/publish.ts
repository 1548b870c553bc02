// Each worker writes `metrics/workers/{workerId}.json` — its capacity, what it runs now and what it
// finished in the last hour — every few seconds. One object per worker: one writer each.
import type { QueueDeps } from '../queue/deps.js';
import { keys } from '../store/keys.js';
import { encodeTimes, type RecentOutcomes, type WorkerReport } from './recent.js';

export const METRICS_FOLDER = keys.metricsFolder;
export const REPORT_EVERY_MS = 10_000;
/** A change (a job started or ended) is published within this long, and no more often. */
export const NUDGE_MS = 1_000;

export function startMetricsPublisher(
  deps: QueueDeps,
  source: { workerId: string; concurrency: number; active: () => number; recent: RecentOutcomes; pendingTimes?: () => number[] },
  everyMs = REPORT_EVERY_MS,
): { publish(): Promise<void>; nudge(): void; stop(): Promise<void> } {
  // Worker ids may hold characters store keys refuse.
  const key = keys.workerMetrics(source.workerId);
  let lastContent = '';
  let lastAt = 0;
  const publish = async () => {
    const now = deps.now();
    const due = source.pendingTimes?.();
    const content = {
      workerId: source.workerId,
      concurrency: source.concurrency,
      active: source.active(),
      samples: source.recent.current(now),
      ...(due ? { due: encodeTimes(due) } : {}),
    };
    const fingerprint = JSON.stringify(content);
    // Unchanged and recently published: nothing to write. An idle worker still refreshes `at`
    // every minute, so readers know it is alive.
    if (fingerprint === lastContent && now - lastAt < 60_000) return;
    const { due: queue, ...rest } = content;
    const report: WorkerReport = { ...rest, at: now, ...(queue ? { queue: { at: now, due: queue } } : {}) };
    try {
      await deps.store.put(key, JSON.stringify(report), { contentType: 'application/json' });
      lastContent = fingerprint;
      lastAt = now;
    } catch (err) {
      deps.log.debug({ err }, 'metrics not published');
    }
  };
  const timer = setInterval(() => void publish(), everyMs);
  timer.unref();
  let nudged: NodeJS.Timeout | null = null;
  return {
    publish,
    nudge() {
      nudged ??= setTimeout(() => {
        nudged = null;
        void publish();
      }, NUDGE_MS);
    },
    async stop() {
      clearInterval(timer);
      if (nudged) clearTimeout(nudged);
      // A stopped worker takes its capacity with it.
      await deps.store.delete(key).catch(() => undefined);
    },
  };
}
