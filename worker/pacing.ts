// How many claims and jobs the worker lets run at once, at most WORKER_CONCURRENCY: fewer while its
// store calls take more than twice as long as they do unloaded, and only while having fewer helps.
// Why: once the worker's CPU (fs, a fast store) or the storage server (a small Supabase project)
// is saturated, more jobs in flight finish no more jobs a second — they only queue, and whoever
// waits on the same worker or server (a poked job, a status poll) waits in that queue too. By
// Little's law the same throughput comes at a fraction of the latency. Slow renders (seconds of
// waiting on a provider) load neither, so they keep every slot.
// The rule is latency-based, as TCP Vegas and Netflix's concurrency-limits are, with one guard of its
// own: a cut that did not make the store answer faster is undone and the slower latency accepted as
// the store's own (a slower network, a busy hosted project), so the worker never throttles itself
// for latency it does not cause. Like TCP, it starts low and doubles while the store stays fast: a
// worker restarted into a backlog would otherwise never see its store unloaded, and would take a
// saturated latency for the normal one.

/** Decisions are made every this much time, on the store calls made in it. */
const WINDOW_MS = 500;
/** Fewer calls than this in a window say nothing of latency: the worker barely uses its store. */
const WINDOW_CALLS = 5;
/**
 * In flight at the start, and never fewer: a worker at the default concurrency (4) or up to 8 always
 * has every slot, so pacing changes nothing for it.
 */
const START = 8;
/** Above tolerance × unloaded (+ slack for sub-millisecond stores), in-flight work is cut. */
const TOLERANCE = 2;
const SLACK_MS = 2;
/** A cut keeps three quarters; growth adds a tenth (at least one) while well under tolerance. */
const CUT = 0.75;
const GROW = 0.1;
/** A cut counts as helping when the next window's median is at least this much faster. */
const HELPED = 0.9;

export interface PacingState {
  limit: number;
  baselineMs: number;
  cuts: number;
  undone: number;
}

export class Pacing {
  private limitNow: number;
  private readonly floor: number;
  /** The lowest window median seen: the store's latency with this worker barely loading it. */
  private baselineMs = Number.POSITIVE_INFINITY;
  private samples: number[] = [];
  private windowFrom: number;
  /** Whether work waited for room in this window: growing the limit is only worth it then. */
  private wanted = false;
  /** Doubling until the first cut. */
  private slowStart = true;
  /** The last cut, until the window after it tells whether it helped. */
  private lastCut: { fromLimit: number; medianMs: number } | null = null;
  private cuts = 0;
  private undone = 0;

  constructor(
    private readonly max: number,
    private readonly now: () => number,
    private readonly enabled = true,
  ) {
    this.floor = Math.min(max, START);
    this.limitNow = this.floor;
    this.windowFrom = now();
  }

  /** Claims and jobs allowed in flight now. */
  get limit(): number {
    return this.enabled ? this.limitNow : this.max;
  }

  get state(): PacingState {
    return { limit: this.limit, baselineMs: this.baselineMs, cuts: this.cuts, undone: this.undone };
  }

  /** Work was ready but the limit held it back. */
  wantedMore(): void {
    this.wanted = true;
    this.tick();
  }

  /** One store call of the worker's took `ms`, from asking to the answer being handled. */
  observe(ms: number): void {
    this.samples.push(ms);
    this.tick();
  }

  /** Ends the window when its time is up (also called when work waits, so an idle store still grows the limit). */
  private tick(): void {
    const now = this.now();
    if (now - this.windowFrom < WINDOW_MS) return;
    const samples = this.samples;
    const wanted = this.wanted;
    this.samples = [];
    this.windowFrom = now;
    this.wanted = false;
    if (samples.length < WINDOW_CALLS) {
      if (wanted && this.enabled) this.grow();
      return;
    }
    const median = medianOf(samples);
    if (this.enabled) this.decide(median, wanted);
    this.baselineMs = Math.min(this.baselineMs, median);
  }

  private grow(): void {
    const by = this.slowStart ? this.limitNow : Math.max(1, Math.round(this.limitNow * GROW));
    this.limitNow = Math.min(this.max, this.limitNow + by);
  }

  private decide(median: number, wanted: boolean): void {
    const cut = this.lastCut;
    this.lastCut = null;
    if (cut && median > cut.medianMs * HELPED) {
      // Fewer in flight did not make the store faster: the latency is not ours. Accept it as the
      // store's own and give the slots back.
      this.limitNow = cut.fromLimit;
      this.baselineMs = Math.max(this.baselineMs, median / TOLERANCE);
      this.undone++;
      return;
    }
    const tolerated = this.baselineMs * TOLERANCE + SLACK_MS;
    if (median > tolerated && this.limitNow > this.floor) {
      this.lastCut = { fromLimit: this.limitNow, medianMs: median };
      this.limitNow = Math.max(this.floor, Math.floor(this.limitNow * CUT));
      this.slowStart = false;
      this.cuts++;
    } else if (wanted && median <= (this.baselineMs * (1 + TOLERANCE)) / 2 + SLACK_MS) this.grow();
  }
}

function medianOf(xs: number[]): number {
  const sorted = xs.slice().sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
