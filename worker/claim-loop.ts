// The worker's loop: claim due jobs up to the concurrency limit, run them, and look again every
// poll interval, so a lost poke delays a job by one interval, never forever. What it looks at is its
// QueueView (markers in memory, brought up to date by one short listing), so an idle worker costs the
// store about one request a poll interval however long the queue. Jobs are taken owner by owner in
// turn, oldest first within each owner; an owner at their cap is passed over as a whole until a slot
// may have freed, and a job whose worker died shows up as its running marker coming due.
import type { JobDocument } from '../shared/job/document.js';
import type { RecentOutcomes } from '../shared/metrics/recent.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { claimJob, type ClaimOutcome } from '../shared/queue/claim.js';
import { jobEnded } from '../shared/queue/ended.js';
import { dropMarker, ORPHAN_MARKER_AGE_MS, ownerTag } from '../shared/queue/markers.js';
import type { QueueDeps } from '../shared/queue/deps.js';
import type { RenderProvider } from '../shared/providers/provider.js';
import { runJob } from '../shared/runner/run-job.js';
import { MINUTE, SECOND } from '../shared/time.js';
import { Contention } from './contention.js';
import { Pacing, type PacingState } from './pacing.js';
import { type QueueEntry, QueueView, RUNNING } from './queue-view.js';

/** A marker whose document is not there (yet) is looked at again after this long. */
const MISSING_RECHECK_MS = 1 * SECOND;
/** Stalled jobs the sweep checks at once. */
const SWEEP_PARALLEL = 8;
/** How long to leave a job alone whose document cannot be read (it is logged each time). */
const BROKEN_JOB_BACKOFF_MS = 1 * MINUTE;
/**
 * An owner at their cap (or everyone, at the global cap) is tried again after this long, or at once
 * when a job of this worker's ends. Only another worker's job ending is noticed this late.
 */
const CAPPED_RECHECK_MS = 5 * SECOND;
/** A capped claim this soon after a job of the same owner ended here is tried once more at once. */
const RECENTLY_FREED_MS = 2 * SECOND;
/**
 * Poked jobs may be this many above the pacing's limit (never above the concurrency): pacing holds
 * back a backlog so that a poked job need not queue behind it, and a poked job that waited for one
 * of the paced slots to free would queue behind it all the same (a third of its pickup on the real
 * server while draining). Few, so that a burst of pokes cannot undo the pacing.
 */
const POKED_ABOVE_PACING = 2;

export interface ClaimLoopOptions {
  workerId: string;
  concurrency: number;
  provider: RenderProvider;
  signedUrlTtlS?: number;
  /** Finished jobs are recorded here (for ETAs and /api/metrics). */
  recent?: RecentOutcomes;
  /** Told whenever a job starts or ends here. */
  onActivity?: () => void;
  /** Holds in-flight work under `concurrency` while more only slows the store (absent: never). */
  pacing?: Pacing;
}

type Ref = { projectId: string; jobId: string };

export class ClaimLoop {
  private readonly view: QueueView;
  private readonly pacing: Pacing;
  private readonly contention: Contention;
  private readonly active = new Map<string, Promise<unknown>>();
  /** Claims under way, by job: each holds a slot until it runs its job or gives up. */
  private readonly claiming = new Map<string, Promise<void>>();
  private readonly hints: Ref[] = [];
  private readonly shutdown = new AbortController();
  private stopping = false;
  private wake: (() => void) | null = null;
  private woken = false;
  private running: Promise<void> | null = null;
  /** The stall sweep under way, if any. */
  private sweeping: Promise<void> | null = null;
  /** Owners (by marker tag) at their cap, and when to try them again. */
  private readonly blocked = new Map<string, number>();
  /** Owners found at their cap since they last started a job here: tried one claim at a time. */
  private readonly probing = new Set<string>();
  /** When a job of each owner last ended here (its slots freed), and the poked jobs retried for it. */
  private readonly freedAt = new Map<string, number>();
  private readonly retried = new Set<string>();
  /** Poked jobs held back by their owner's cap: poked again when a job of that owner ends here. */
  private readonly afterOwnerEnds = new Map<string, { ref: Ref; group: string }>();
  /** The owner of each claim under way. */
  private readonly claimGroups = new Map<string, string>();
  /** The global cap was full when last tried: no claims before this time (or a local slot frees). */
  private globalFullUntil = 0;
  private lastRefreshMs = 0;
  /** Where the next round of owners starts, so that each gets a turn. */
  private turn = 0;

  constructor(
    private readonly deps: QueueDeps,
    private readonly opts: ClaimLoopOptions,
  ) {
    this.view = new QueueView(deps);
    this.pacing = opts.pacing ?? new Pacing(opts.concurrency, deps.now, false);
    this.contention = new Contention(deps.now);
  }

  get activeCount(): number {
    return this.active.size;
  }

  /** What the pacing allows now, and why (for /healthz). */
  get pacingState(): PacingState {
    return this.pacing.state;
  }

  /** Claims lost to other workers since start (for /healthz). */
  get lostClaims(): number {
    return this.contention.lostClaims;
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  /** Due pending jobs this worker knows of, oldest first, by when they became due (for ETAs). */
  pendingTimes(): number[] {
    return this.view
      .all()
      .filter((e) => !e.running && !this.active.has(e.jobId))
      .map((e) => e.runAfterMs);
  }

  start(): void {
    this.running ??= this.loop();
  }

  /** Look for work now; with a job reference, try that job first without scanning for it. */
  poke(ref?: Ref): void {
    if (this.stopping) return;
    if (ref && this.hints.length < 100) this.hints.push(ref);
    this.woken = true;
    // Claimed now if there is room, not when the loop is next idle: it may be in a listing. An
    // idle loop takes it at once (with the other pokes of this turn, which a batching store sends
    // together).
    if (this.wake) this.wake();
    else if (ref && this.running) this.takeHints();
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
      // Until the next listing is due, not a whole interval from now: woken often (jobs ending,
      // pokes), the loop would otherwise list a poll interval after its last wake, up to twice the
      // interval apart, and an un-poked job would wait that long.
      const timer = setTimeout(done, Math.max(0, this.lastRefreshMs + this.deps.queue.pollIntervalMs - this.deps.now()));
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

  /** Claims and jobs this worker may have in flight now: its concurrency, or less while paced. */
  private allowed(): number {
    return Math.min(this.opts.concurrency, this.pacing.limit);
  }

  private hasRoom(poked = false): boolean {
    if (this.stopping) return false;
    const inFlight = this.active.size + this.claiming.size;
    if (inFlight < this.allowed()) return true;
    if (poked && inFlight < Math.min(this.opts.concurrency, this.allowed() + POKED_ABOVE_PACING)) return true;
    if (inFlight < this.opts.concurrency) this.pacing.wantedMore();
    return false;
  }

  /** An entry this worker may claim now: due again, and not already its own. */
  private usable(entry: QueueEntry, now: number): boolean {
    return entry.retryAt <= now && !this.active.has(entry.jobId) && !this.claiming.has(entry.jobId);
  }

  /** Poked jobs, tried without a listing (a poke names the job). */
  private takeHints(): void {
    while (this.hints.length > 0 && this.hasRoom(true)) {
      const ref = this.hints.shift()!;
      if (!this.active.has(ref.jobId)) this.claimInSlot(ref, null);
    }
  }

  private async fill(): Promise<void> {
    this.takeHints(); // first
    const now = this.deps.now();
    // One short listing a poll interval, however often pokes wake the loop; a worker with room
    // claims from each page as it comes (the first listing after a start may be long).
    if (now - this.lastRefreshMs >= this.deps.queue.pollIntervalMs) {
      this.lastRefreshMs = now;
      const before = this.view.version;
      // Beside other workers, what they took since this one listed it goes from the view before
      // the listing's pages are claimed from.
      if (this.contention.contended) await this.view.pruneHead();
      await this.view.refresh(() => this.claimFromView());
      // The queue this worker reports (for positions and ETAs) changed: publish it soon.
      if (this.view.version !== before) this.opts.onActivity?.();
    }
    this.claimFromView();
    if (!this.hasRoom() && !this.stopping && !this.sweeping) {
      this.sweeping = this.sweepStalled()
        .catch((err: unknown) => this.deps.log.warn({ err }, 'stall sweep failed; the next one tries again'))
        .finally(() => (this.sweeping = null));
    }
  }

  /** Claims due jobs from the view while there is room: owners in turn, each one's oldest first. */
  private claimFromView(): void {
    if (!this.hasRoom()) return;
    const now = this.deps.now();
    const room = this.allowed() - this.active.size - this.claiming.size;
    const usable = (entry: QueueEntry) => this.usable(entry, now);
    // Running markers (stalls) are checked whatever the owner's cap.
    const groups = new Map<string, QueueEntry[]>();
    for (const [group, entries] of this.view.groups()) {
      if (group !== RUNNING && (now < this.globalFullUntil || (this.blocked.get(group) ?? 0) > now)) continue;
      // Spread over a wider head once other workers are seen claiming from it (worker/contention.ts).
      const wanted = group === RUNNING ? room : this.contention.window(room);
      const ready = this.contention.pick(this.view.ready(entries, wanted, usable), room);
      if (ready.length > 0) groups.set(group, ready);
    }
    const order = [...groups.keys()];
    if (order.length === 0) return;
    // Round-robin: one job per owner per round, rounds starting one owner further each time.
    const start = this.turn++ % order.length;
    for (let round = 0; this.hasRoom(); round++) {
      let took = false;
      for (let i = 0; i < order.length && this.hasRoom(); i++) {
        const group = order[(start + i) % order.length]!;
        const entry = groups.get(group)![round];
        if (!entry) continue;
        // A capped owner (or a full global cap) found in this round stops their later jobs too.
        if (group !== RUNNING && (this.deps.now() < this.globalFullUntil || (this.blocked.get(group) ?? 0) > this.deps.now())) continue;
        // An owner lately at their cap gets one claim at a time until one starts: one probe, not a slot's worth.
        if (this.probing.has(group) && [...this.claimGroups.values()].includes(group)) continue;
        this.claimGroups.set(entry.jobId, group);
        this.claimInSlot({ projectId: entry.projectId!, jobId: entry.jobId }, entry);
        took = true;
      }
      if (!took) return;
    }
  }

  /**
   * With no free slot this worker cannot take over a dead worker's job, but it can put it back in
   * the queue, so that no job stays `processing` on a dead worker longer than its lease and one
   * sweep, however busy the living workers are. Only running markers that came due are checked.
   */
  private async sweepStalled(): Promise<void> {
    const now = this.deps.now();
    const stalls = this.view.groups().get(RUNNING);
    const due = stalls ? this.view.ready(stalls, Number.POSITIVE_INFINITY, (e) => this.usable(e, now)) : [];
    const check = async (entry: QueueEntry) => {
      const outcome = await claimJob(this.deps, { projectId: entry.projectId!, jobId: entry.jobId }, { workerId: this.opts.workerId, toRequeue: true }).catch(
        (err: unknown) => {
          this.deps.log.warn({ err, jobId: entry.jobId }, 'stall sweep could not check a job');
          return null;
        },
      );
      if (outcome && outcome.kind !== 'run') await this.settle(entry, outcome);
      if (outcome?.kind === 'finished') this.poke(); // requeued: whoever has room takes it
    };
    const workers = Array.from({ length: Math.min(SWEEP_PARALLEL, due.length) }, async () => {
      for (let entry = due.shift(); entry && !this.stopping; entry = due.shift()) await check(entry);
    });
    await Promise.all(workers);
  }

  /** Starts a claim that holds a slot until it ends; at most one per job. */
  private claimInSlot(ref: Ref, entry: QueueEntry | null): void {
    if (this.claiming.has(ref.jobId)) return;
    const claim = this.tryClaim(ref, entry)
      .catch((err: unknown) => this.deps.log.error({ err, jobId: ref.jobId }, 'claim failed'))
      .finally(() => {
        this.claiming.delete(ref.jobId);
        this.claimGroups.delete(ref.jobId);
      });
    this.claiming.set(ref.jobId, claim);
  }

  private async tryClaim(ref: Ref, entry: QueueEntry | null): Promise<void> {
    let outcome: ClaimOutcome;
    try {
      // A poke's job and a pending marker's are expected to run: their slots are listed early.
      outcome = await claimJob(this.deps, ref, { workerId: this.opts.workerId, listSlotsAhead: !entry?.running, startBeforeWritten: true });
    } catch (err) {
      this.deps.log.error({ err, jobId: ref.jobId }, 'could not claim job');
      if (entry) entry.retryAt = this.deps.now() + BROKEN_JOB_BACKOFF_MS;
      return;
    }
    if (outcome.kind !== 'run') {
      // Taken by another claimer since this worker listed (or was poked about) it: a race lost.
      if (outcome.kind === 'busy' && !entry?.running) this.contention.lost();
      // A poke's job that did not start is left to the listing, which finds its marker; one held
      // back by its owner's cap is tried again the moment a job of that owner ends here.
      if (entry) await this.settle(entry, outcome);
      else if (outcome.kind === 'capped' && outcome.full === 'owner' && outcome.ownerTag) {
        // A job of that owner that ended here a moment ago may have freed its slot while this claim
        // looked (a client creating its next job on completion): try once more at once.
        const freedMs = this.freedAt.get(outcome.ownerTag) ?? 0;
        if (this.deps.now() - freedMs < RECENTLY_FREED_MS && !this.retried.has(ref.jobId)) {
          this.retried.add(ref.jobId);
          this.hints.push(ref);
        } else if (this.afterOwnerEnds.size < 200) this.afterOwnerEnds.set(ref.jobId, { ref, group: outcome.ownerTag });
      }
      this.poke(); // the slot this claim held is free for the next job (no listing: that waits its turn)
      return;
    }
    const { holder } = outcome;
    this.probing.delete(ownerTag(holder.doc.ownerId));
    // Its marker moved when it was claimed; the job is this worker's until it ends.
    this.view.forget(ref.jobId);
    const run = runJob(holder, { provider: this.opts.provider, signedUrlTtlS: this.opts.signedUrlTtlS, shutdown: this.shutdown.signal })
      .then((doc) => doc && this.record(doc))
      .catch((err) => holder.log.error({ err }, 'job run failed unexpectedly'))
      .finally(() => {
        this.active.delete(ref.jobId);
        // Slots of ours are free again: the owner and everyone at the global cap may go on.
        const group = ownerTag(holder.doc.ownerId);
        this.blocked.delete(group);
        this.freedAt.set(group, this.deps.now());
        if (this.freedAt.size > 1_000) this.freedAt.clear();
        if (this.retried.size > 1_000) this.retried.clear();
        for (const [jobId, waiting] of this.afterOwnerEnds) {
          if (waiting.group !== group) continue;
          this.afterOwnerEnds.delete(jobId);
          if (this.hints.length < 100) this.hints.push(waiting.ref);
        }
        this.globalFullUntil = 0;
        this.opts.onActivity?.();
        this.poke();
      });
    this.active.set(ref.jobId, run);
    this.opts.onActivity?.();
  }

  /** What a claim that did not start the job says about its entry. */
  private async settle(entry: QueueEntry, outcome: Exclude<ClaimOutcome, { kind: 'run' }>): Promise<void> {
    const now = this.deps.now();
    switch (outcome.kind) {
      case 'busy':
      case 'not_due':
        entry.retryAt = outcome.retryAtMs;
        return;
      case 'capped':
        // Over its owner's cap: other owners' jobs may still run. Global cap: nothing can, for now.
        if (outcome.full === 'global') this.globalFullUntil = now + CAPPED_RECHECK_MS;
        else {
          this.blocked.set(entry.group, now + CAPPED_RECHECK_MS);
          this.probing.add(entry.group);
        }
        return;
      case 'finished':
        this.view.forget(entry.jobId, entry.key);
        return;
      case 'terminal':
      case 'missing':
        return this.tidyMarker(entry, outcome, now);
    }
  }

  /** A marker whose job has ended (the holder died after its final write) or never came to be. */
  private async tidyMarker(entry: QueueEntry, outcome: { kind: 'terminal'; doc: JobDocument } | { kind: 'missing' }, now: number): Promise<void> {
    if (outcome.kind === 'terminal') {
      const retryAtMs = await jobEnded(this.deps, outcome.doc, { announce: false });
      if (retryAtMs !== null) {
        entry.retryAt = retryAtMs;
        return;
      }
      await dropMarker(this.deps.store, entry.key); // this marker, should the document name another
      this.view.forget(entry.jobId, entry.key);
    } else if (entry.runAfterMs < now - ORPHAN_MARKER_AGE_MS) {
      await dropMarker(this.deps.store, entry.key);
      this.view.forget(entry.jobId, entry.key);
    } else {
      // Probably a create between its two writes (its poke brings the job straight here).
      entry.retryAt = now + Math.max(this.deps.queue.pollIntervalMs, MISSING_RECHECK_MS);
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
