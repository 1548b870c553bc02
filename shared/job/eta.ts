// Where a job stands and when it should start and finish: from the queue's order, the workers'
// capacity and the render times they measured (or the kind's typical time before any are known).
import type { SystemMetrics } from '../metrics/read.js';
import type { JobDocument } from './document.js';

export interface QueueStanding {
  /** Pending jobs due before this one (running ones are `metrics.running`). */
  waitingAhead: number;
  metrics: SystemMetrics;
}

export interface JobOutlook {
  /** 1 = next to start. Null once the job runs or is finished. */
  position: number | null;
  /** Jobs in the queue before this one (some may already be running). */
  ahead: number | null;
  etaStartAt: string | null;
  etaFinishAt: string | null;
  /** `measured`: from the last hour's renders; `typical`: from the kind's expected duration. */
  basis: 'measured' | 'typical';
  workers: number;
}

export function outlookOf(job: JobDocument, snap: QueueStanding, now: number, typicalMs: number): JobOutlook | null {
  const m = snap.metrics;
  const measured = m.windows['1h'].renderMs.p50;
  const renderMs = measured ?? typicalMs;
  const basis = measured !== null ? 'measured' : 'typical';
  const at = (ms: number) => new Date(now + Math.max(0, Math.round(ms))).toISOString();
  if (job.status === 'processing') {
    const started = Date.parse(job.attempts.at(-1)?.startedAt ?? job.startedAt ?? job.updatedAt);
    const elapsed = Math.max(0, now - started);
    // Past a fifth of the way, the job's own pace says more than the average.
    const remaining = job.progress >= 20 ? (elapsed * (100 - job.progress)) / job.progress : Math.max(renderMs - elapsed, renderMs * 0.1);
    return { position: null, ahead: null, etaStartAt: null, etaFinishAt: at(remaining), basis, workers: m.workers };
  }
  if (job.status !== 'pending') return null;
  const waitingAhead = snap.waitingAhead;
  const ahead = waitingAhead + m.running;
  const capacity = Math.max(1, m.capacity);
  const free = Math.max(0, capacity - m.running);
  let startsIn = 0;
  if (waitingAhead >= free) {
    const rounds = Math.ceil((waitingAhead - free + 1) / capacity);
    startsIn = renderMs / 2 + (rounds - 1) * renderMs;
  }
  startsIn = Math.max(startsIn, Date.parse(job.runAfter) - now);
  // No worker has reported: the place in the queue is known, the time is not.
  if (m.workers === 0) return { position: waitingAhead + 1, ahead, etaStartAt: null, etaFinishAt: null, basis, workers: 0 };
  return { position: waitingAhead + 1, ahead, etaStartAt: at(startsIn), etaFinishAt: at(startsIn + renderMs), basis, workers: m.workers };
}

/** When to poll again: sooner as the job nears a change — down to 200 ms in the last moments of a
 * render, where each poll saved is latency the user sees — and back off when the estimate was wrong. */
export function pollHintMs(job: JobDocument, outlook: JobOutlook | null, now: number): number | null {
  if (job.status !== 'pending' && job.status !== 'processing') return null;
  const next = outlook ? Date.parse((job.status === 'pending' ? outlook.etaStartAt : outlook.etaFinishAt) ?? '') - now : NaN;
  if (!Number.isFinite(next)) return job.status === 'pending' ? 1000 : 2000;
  if (job.status === 'pending') return Math.round(Math.min(5000, Math.max(500, next / 3)));
  if (next < -2000) return 1000; // overdue: the estimate was off, no point hurrying
  if (next <= 1500) return Math.max(200, Math.round(next / 3));
  return Math.round(Math.min(3000, Math.max(500, next / 3)));
}
