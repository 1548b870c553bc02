// The worker's loop: claim due jobs up to the concurrency limit, run them, and scan again every
// poll interval, so a lost poke delays a job by one interval, never forever. Expired leases of
// crashed workers are found the same way: their queue markers stay until the job ends.
import type { JobDocument } from '../shared/job/document.js';
import type { RecentOutcomes } from '../shared/metrics/recent.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { jobEnded } from '../shared/queue/ended.js';
import { claimJob } from '../shared/queue/claim.js';
import { dropMarker, ORPHAN_MARKER_AGE_MS } from '../shared/queue/markers.js';
import type { QueueDeps } from '../shared/queue/deps.js';
import { scanDue, type DueJob } from '../shared/queue/scan.js';
import type { RenderProvider } from '../shared/providers/provider.js';
import { runJob } from '../shared/runner/run-job.js';
import { MINUTE } from '../shared/time.js';

/** A marker whose document is not there (yet) is looked at again after this long. */
const MISSING_RECHECK_MS = 1_000;
/** Jobs the stall sweep checks at once. */
const SWEEP_PARALLEL = 8;
/** How long to leave a job alone whose document cannot be read (it is logged each time). */
const BROKEN_JOB_BACKOFF_MS = 1 * MINUTE;

export interface ClaimLoopOptions {
  workerId: string;
  concurrency: number;
  provider: RenderProvider;
  signedUrlTtlS?: number;
  /** Finished jobs are recorded here (for ETAs and /api/metrics). */
  recent?: RecentOutcomes;
  /** Told whenever a job starts or ends here. */
  onActivity?: () => void;
}

export class ClaimLoop {
  private readonly active = new Map<string, Promise<unknown>>();
  /** Jobs known to be busy or not yet due, and when to look again: saves a read per scan. */
  private readonly notBefore = new Map<string, number>();
  private readonly hints: Array<{ projectId: string; jobId: string }> = [];
  private readonly shutdown = new AbortController();
  private stopping = false;
  private wake: (() => void) | null = null;
  private woken = false;
  private running: Promise<void> | null = null;
  /** Claims under way, by job: each holds a slot until it runs its job or gives up. */
  private readonly claiming = new Map<string, Promise<void>>();
  /** The stall sweep under way, if any. */
  private sweeping: Promise<void> | null = null;
  /** The global cap was full when last tried: no claims before this time (or a local slot frees). */
  private globalFullUntil = 0;
  /** For the stall sweep: jobs that cannot have stalled before these times (running under a live lease, or pending). */
  private readonly sweepNotBefore = new Map<string, number>();
  private lastSweepMs = 0;
  /** The project of each job whose marker was read: markers never change it. */
  private readonly projects = new Map<string, string>();

  constructor(
    private readonly deps: QueueDeps,
    private readonly opts: ClaimLoopOptions,
  ) {}

  get activeCount(): number {
    return this.active.size;
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  start(): void {
    this.running ??= this.loop();
  }

  /** Look for work now; with a job reference, try that job first without scanning for it. */
  poke(ref?: { projectId: string; jobId: string }): void {
    if (this.stopping) return;
    if (ref && this.hints.length < 100) this.hints.push(ref);
    this.woken = true;
    this.wake?.();
  }

  /** Stop claiming; give in-flight jobs `drainMs` to finish, then hand the rest back to the queue. */
  async stop(drainMs: number): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.running;
    // Claims and a sweep still under way may yet start a job: let them end first.
    await Promise.allSettled([...this.claiming.values(), this.sweeping]);
    const all = Promise.allSettled([...this.active.values()]);
    const drained = await Promise.race([all.then(() => true), sleep(drainMs, false, { ref: false })]);
    if (!drained) {
      this.deps.log.warn({ jobs: [...this.active.keys()] }, 'drain window over: handing jobs back');
      this.shutdown.abort();
      await all;
    }
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.fill();
      } catch (err) {
        this.deps.log.error({ err }, 'queue scan failed; retrying after the poll interval');
      }
      await this.idle();
    }
  }

  private idle(): Promise<void> {
    if (this.woken || this.stopping) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.deps.queue.pollIntervalMs);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.wake = null;
        self.woken = false;
        resolve();
      }
      this.wake = done;
    });
  }

  private hasRoom(): boolean {
    return !this.stopping && this.active.size + this.claiming.size < this.opts.concurrency && this.deps.now() >= this.globalFullUntil;
  }

  private async fill(): Promise<void> {
    const now = this.deps.now();
    for (const [jobId, at] of this.notBefore) if (at <= now) this.notBefore.delete(jobId);
    // Claims run side by side and in the background (each is several store round trips, and one
    // slowed by storage retries must not hold up the next scan), up to the free slots.
    while (this.hints.length > 0 && this.hasRoom()) {
      const ref = this.hints.shift()!;
      if (!this.active.has(ref.jobId)) this.claimInSlot({ ...ref, runAfterMs: now, markerKey: '' });
    }
    if (this.hasRoom()) {
      const skip = (jobId: string) => this.active.has(jobId) || this.claiming.has(jobId) || this.notBefore.has(jobId);
      for await (const due of scanDue(this.deps, skip, this.projects)) {
        if (!this.hasRoom()) break;
        this.claimInSlot(due);
      }
    } else if (!this.stopping && !this.sweeping && now - this.lastSweepMs >= this.deps.queue.pollIntervalMs) {
      this.lastSweepMs = now;
      this.sweeping = this.sweepStalled(now)
        .catch((err: unknown) => this.deps.log.warn({ err }, 'stall sweep failed; the next one tries again'))
        .finally(() => (this.sweeping = null));
    }
  }

  /**
   * With no free slot this worker cannot take over a dead worker's job, but it can put it back in
   * the queue, so that no job stays `processing` on a dead worker longer than its lease and one
   * sweep, however busy the living workers are. Reads are spent only where a stall is possible:
   * a job seen pending cannot stall within a lease, a running one not before its lease runs out.
   */
  private async sweepStalled(now: number): Promise<void> {
    for (const [jobId, at] of this.sweepNotBefore) if (at <= now) this.sweepNotBefore.delete(jobId);
    const skip = (jobId: string) => this.active.has(jobId) || this.claiming.has(jobId) || this.sweepNotBefore.has(jobId);
    const due: DueJob[] = [];
    for await (const job of scanDue(this.deps, skip, this.projects)) due.push(job);
    // Checked side by side: one slow read must not hold up the job that did stall.
    const check = async (job: DueJob) => {
      const outcome = await claimJob(this.deps, job, { workerId: this.opts.workerId, toRequeue: true }).catch((err: unknown) => {
        this.deps.log.warn({ err, jobId: job.jobId }, 'stall sweep could not check a job');
        return null;
      });
      if (outcome?.kind === 'terminal' || outcome?.kind === 'missing') await this.tidyMarker(job, outcome, now);
      else if (outcome?.kind === 'busy') this.sweepNotBefore.set(job.jobId, outcome.retryAtMs);
      else if (outcome?.kind === 'not_due' || outcome?.kind === 'capped') this.sweepNotBefore.set(job.jobId, now + this.deps.queue.leaseMs);
      else if (outcome?.kind === 'finished') this.poke(); // requeued: whoever has room takes it
    };
    const workers = Array.from({ length: Math.min(SWEEP_PARALLEL, due.length) }, async () => {
      for (let job = due.shift(); job && !this.stopping; job = due.shift()) await check(job);
    });
    await Promise.all(workers);
  }

  /** Starts a claim that holds a slot until it ends; at most one per job. */
  private claimInSlot(due: DueJob): void {
    if (this.claiming.has(due.jobId)) return;
    const claim = this.tryClaim(due)
      .catch((err: unknown) => this.deps.log.error({ err, jobId: due.jobId }, 'claim failed'))
      .finally(() => this.claiming.delete(due.jobId));
    this.claiming.set(due.jobId, claim);
  }

  private async tryClaim(due: DueJob): Promise<void> {
    const now = this.deps.now();
    let outcome;
    try {
      outcome = await claimJob(this.deps, due, { workerId: this.opts.workerId });
    } catch (err) {
      this.deps.log.error({ err, jobId: due.jobId }, 'could not claim job');
      this.notBefore.set(due.jobId, now + BROKEN_JOB_BACKOFF_MS);
      return;
    }
    switch (outcome.kind) {
      case 'run': {
        const { holder } = outcome;
        const run = runJob(holder, { provider: this.opts.provider, signedUrlTtlS: this.opts.signedUrlTtlS, shutdown: this.shutdown.signal })
          .then((doc) => doc && this.record(doc))
          .catch((err) => holder.log.error({ err }, 'job run failed unexpectedly'))
          .finally(() => {
            this.active.delete(due.jobId);
            this.globalFullUntil = 0; // a slot of ours is free again
            this.opts.onActivity?.();
            this.poke(); // a slot is free
          });
        this.active.set(due.jobId, run);
        this.opts.onActivity?.();
        return;
      }
      case 'busy':
      case 'not_due':
        this.notBefore.set(due.jobId, outcome.retryAtMs);
        return;
      case 'capped':
        // Over its owner's cap: other owners' jobs may still run. Global cap: nothing can, for now.
        this.notBefore.set(due.jobId, outcome.retryAtMs);
        if (outcome.full === 'global') this.globalFullUntil = outcome.retryAtMs;
        return;
      case 'terminal':
      case 'missing':
        return this.tidyMarker(due, outcome, now);
      case 'finished':
        return;
    }
  }

  /** A marker whose job has ended (the holder died after its final write) or never came to be. */
  private async tidyMarker(due: DueJob, outcome: { kind: 'terminal'; doc: JobDocument } | { kind: 'missing' }, now: number): Promise<void> {
    if (!due.markerKey) return; // a poke's hint, not a marker
    if (outcome.kind === 'terminal') {
      await jobEnded(this.deps, outcome.doc, { announce: false });
      await dropMarker(this.deps.store, due.runAfterMs, due.jobId); // this marker, should the document name another
    } else if (due.runAfterMs < now - ORPHAN_MARKER_AGE_MS) {
      await dropMarker(this.deps.store, due.runAfterMs, due.jobId);
    } else {
      // Probably a create between its two writes (its poke brings the job straight here). Looked
      // at again a second later, not every scan: at the head of the queue it would hold the scan up.
      this.notBefore.set(due.jobId, now + Math.max(this.deps.queue.pollIntervalMs, MISSING_RECHECK_MS));
    }
  }

  private record(doc: JobDocument): void {
    if (!this.opts.recent || (doc.status !== 'completed' && doc.status !== 'failed' && doc.status !== 'cancelled')) return;
    const created = Date.parse(doc.createdAt);
    const started = Date.parse(doc.attempts.at(-1)?.startedAt ?? doc.startedAt ?? doc.createdAt);
    const ended = Date.parse(doc.completedAt ?? doc.updatedAt);
    this.opts.recent.record({
      at: ended,
      outcome: doc.status,
      waitMs: doc.result?.timings.queuedMs ?? Math.max(0, started - created),
      renderMs: doc.result?.timings.renderMs ?? Math.max(0, ended - started),
    });
  }
}
