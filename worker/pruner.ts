// The worker's own retention sweep: hourly (and once soon after start), bounded in time, never
// overlapping itself. Vercel's cron runs the same prune daily; either alone is enough.
import { pruneExpired } from '../shared/queue/prune.js';
import type { QueueDeps } from '../shared/queue/deps.js';
import { MINUTE } from '../shared/time.js';

const RUN_FOR_MS = 1 * MINUTE;
const FIRST_RUN_AFTER_MS = 1 * MINUTE;

export function startPruner(deps: QueueDeps, opts: { intervalMs: number; retentionMs: number }): { stop(): void } {
  let running = false;
  const run = async () => {
    if (running) return;
    running = true;
    try {
      await pruneExpired(deps, { retentionMs: opts.retentionMs, deadlineMs: deps.now() + RUN_FOR_MS });
    } catch (err) {
      deps.log.warn({ err }, 'prune failed; the next run tries again');
    } finally {
      running = false;
    }
  };
  const first = setTimeout(run, Math.min(FIRST_RUN_AFTER_MS, opts.intervalMs));
  const every = setInterval(run, opts.intervalMs);
  first.unref();
  every.unref();
  return {
    stop() {
      clearTimeout(first);
      clearInterval(every);
    },
  };
}
