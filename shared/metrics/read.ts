// The system as the API sees it: every live worker's report merged, plus the queue's depth.
import { parseJsonOrNull } from '../json.js';
import { keys } from '../store/keys.js';
import { listAll, type ObjectStore } from '../store/object-store.js';
import { METRICS_FOLDER } from './publish.js';
import { type Sample, WorkerReport } from './recent.js';

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

/** The queue's marker names, in run order (what both the depth and queue positions come from). */
export async function queueMarkers(store: ObjectStore): Promise<string[]> {
  const names: string[] = [];
  for await (const e of listAll(store, keys.queueFolder)) names.push(e.name);
  return names;
}

/** `markers`: the queue as the caller already listed it, so it is not listed twice. */
export async function readMetrics(store: ObjectStore, now: number, markers?: string[]): Promise<SystemMetrics> {
  const [reports, queue] = await Promise.all([liveReports(store, now), markers ?? queueMarkers(store)]);
  const queued = queue.length;
  const running = reports.reduce((n, r) => n + r.active, 0);
  const samples = reports.flatMap((r) => r.samples);
  const windows = Object.fromEntries(
    Object.entries(WINDOWS).map(([name, ms]) => {
      const inWindow = samples.filter((s) => s.at > now - ms);
      return [name, summarize(inWindow)];
    }),
  ) as SystemMetrics['windows'];
  return {
    at: new Date(now).toISOString(),
    workers: reports.length,
    capacity: reports.reduce((n, r) => n + r.concurrency, 0),
    running,
    queued,
    pending: Math.max(0, queued - running),
    windows,
  };
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
