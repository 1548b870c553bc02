// The system as the API sees it: every live worker's report merged, plus the queue's depth.
import { parseJsonOrNull } from '../json.js';
import { keys, parseQueueMarker } from '../store/keys.js';
import { listAll, type ObjectStore } from '../store/object-store.js';
import { METRICS_FOLDER } from './publish.js';
import { decodeTimes, type Sample, WorkerReport } from './recent.js';

/** A worker that has not reported for this long is gone (crashed, or scaled away). */
const STALE_MS = 2 * 60 * 1000;
const WINDOWS = { '5m': 5 * 60 * 1000, '1h': 60 * 60 * 1000 } as const;

export interface Percentiles {
  n: number;
  p50: number | null;
  p95: number | null;
}

export interface SystemMetrics {
  at: string;
  workers: number;
  capacity: number;
  running: number;
  /** Queue markers: pending jobs plus running ones (a marker stays until its job ends). */
  queued: number;
  pending: number;
  windows: Record<keyof typeof WINDOWS, { completed: number; failed: number; cancelled: number; waitMs: Percentiles; renderMs: Percentiles }>;
}

/** The due pending jobs, by when each became due, as the freshest worker report has them. */
export interface DueView {
  at: number;
  /** Sorted, ms. */
  due: number[];
}

/**
 * The due pending jobs' times, listed from the queue: for when no worker reports them (inline
 * mode, `WORKER_URL=none`, where the queue stays small). Stops at the first marker not yet due.
 */
export async function listDue(store: ObjectStore, now: number, startAfter?: string): Promise<Array<{ at: number; jobId: string }>> {
  const due: Array<{ at: number; jobId: string }> = [];
  let cursor: string | null = null;
  do {
    const page = await store.list(keys.queueFolder, { limit: 1000, cursor, startAfter });
    for (const item of page.items) {
      const m = parseQueueMarker(item.name);
      if (!m) continue;
      if (m.runAfterMs > now) return due;
      if (m.state !== 'r') due.push({ at: m.runAfterMs, jobId: m.jobId });
    }
    cursor = page.cursor;
  } while (cursor !== null);
  return due;
}

export async function readMetrics(store: ObjectStore, now: number): Promise<SystemMetrics> {
  return (await readQueueState(store, now)).metrics;
}

/** Every live worker's report merged, and the queue's due jobs as the freshest report has them. */
export async function readQueueState(store: ObjectStore, now: number): Promise<{ metrics: SystemMetrics; view: DueView | null }> {
  const reports = await liveReports(store, now);
  const freshest = reports.filter((r) => r.queue).sort((a, b) => b.queue!.at - a.queue!.at)[0];
  const view = freshest ? { at: freshest.queue!.at, due: decodeTimes(freshest.queue!.due) } : null;
  const running = reports.reduce((n, r) => n + r.active, 0);
  const pending = view ? view.due.length : (await listDue(store, now)).length;
  const samples = reports.flatMap((r) => r.samples);
  const windows = Object.fromEntries(
    Object.entries(WINDOWS).map(([name, ms]) => {
      const inWindow = samples.filter((s) => s.at > now - ms);
      return [name, summarize(inWindow)];
    }),
  ) as SystemMetrics['windows'];
  const metrics = {
    at: new Date(now).toISOString(),
    workers: reports.length,
    capacity: reports.reduce((n, r) => n + r.concurrency, 0),
    running,
    queued: pending + running,
    pending,
    windows,
  };
  return { metrics, view };
}

function summarize(samples: Sample[]) {
  const done = samples.filter((s) => s.outcome === 'completed');
  return {
    completed: done.length,
    failed: samples.filter((s) => s.outcome === 'failed').length,
    cancelled: samples.filter((s) => s.outcome === 'cancelled').length,
    waitMs: percentiles(done.map((s) => s.waitMs)),
    renderMs: percentiles(done.map((s) => s.renderMs)),
  };
}

export function percentiles(values: number[]): Percentiles {
  if (values.length === 0) return { n: 0, p50: null, p95: null };
  const s = [...values].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
  return { n: s.length, p50: Math.round(at(50)), p95: Math.round(at(95)) };
}

async function liveReports(store: ObjectStore, now: number): Promise<WorkerReport[]> {
  const entries: string[] = [];
  for await (const e of listAll(store, METRICS_FOLDER)) entries.push(e.key);
  const reports = await Promise.all(
    entries.map(async (key) => {
      const obj = await store.get(key);
      const parsed = WorkerReport.safeParse(obj ? parseJsonOrNull(obj.body) : null);
      return parsed.success && parsed.data.at > now - STALE_MS ? parsed.data : null;
    }),
  );
  return reports.filter((r): r is WorkerReport => r !== null);
}
