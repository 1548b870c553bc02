// What a worker has finished lately: outcomes with their wait and render times, kept for an hour.
// Workers publish this (see publish.ts); the API merges every worker's copy for /api/metrics and ETAs.
import { z } from 'zod';

export const KEEP_MS = 60 * 60 * 1000;
const MAX_SAMPLES = 500;

export const Sample = z.object({
  /** When the job ended (ms). */
  at: z.number(),
  outcome: z.enum(['completed', 'failed', 'cancelled']),
  waitMs: z.number().min(0),
  renderMs: z.number().min(0),
});
export type Sample = z.output<typeof Sample>;

export const WorkerReport = z.object({
  workerId: z.string(),
  at: z.number(),
  concurrency: z.number().int().min(0),
  active: z.number().int().min(0),
  samples: z.array(Sample).max(MAX_SAMPLES),
  /**
   * The due pending jobs the worker knows of, by when each became due (ms), as of `at`: delta-coded
   * (the first is a time, each next one its distance from the one before), so that a status poll
   * finds a job's place without listing the queue.
   */
  queue: z.object({ at: z.number(), due: z.custom<number[]>(isDueTimes, 'expected at most 200,000 non-negative integers') }).optional(),
});

/**
 * Checked in one pass, not as an array of number schemas: a draining worker reports tens of
 * thousands of times, and checking each through zod took 11 ms for 20,000 (60 ms on a loaded
 * machine) in every status poll that read the report.
 */
function isDueTimes(value: unknown): boolean {
  if (!Array.isArray(value) || value.length > 200_000) return false;
  for (const t of value) if (!Number.isSafeInteger(t) || (t as number) < 0) return false;
  return true;
}
export type WorkerReport = z.output<typeof WorkerReport>;

export class RecentOutcomes {
  private samples: Sample[] = [];

  record(sample: Sample): void {
    this.samples.push(sample);
    if (this.samples.length > MAX_SAMPLES) this.samples.splice(0, this.samples.length - MAX_SAMPLES);
  }

  /** The samples still inside the window, oldest first. */
  current(now: number): Sample[] {
    this.samples = this.samples.filter((s) => s.at > now - KEEP_MS);
    return [...this.samples];
  }
}

export function encodeTimes(sortedMs: number[]): number[] {
  return sortedMs.map((t, i) => (i === 0 ? t : t - sortedMs[i - 1]!));
}

export function decodeTimes(deltas: number[]): number[] {
  let t = 0;
  return deltas.map((d) => (t += d));
}
