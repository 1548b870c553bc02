// The one writer of a job document after creation: the holder of its current lease.
import { LeaseLostError } from '../errors.js';
import type { JobDocument } from '../job/document.js';
import { assertTransition } from '../job/status.js';
import { keys } from '../store/keys.js';
import type { QueueDeps } from './deps.js';
import { writeJob } from '../job/job-docs.js';
import type { Lease } from './lease.js';
import { releaseSlots, type SlotHold } from './slots.js';

export class JobHolder {
  private current: JobDocument;
  private expiresAtMs: number;
  private chain: Promise<unknown> = Promise.resolve();
  private lost: LeaseLostError | null = null;
  /** From the lease on: a render started beside the claim's write needs no beat before it lands. */
  private lastWriteMs: number;
  /** The claim's own write (the first): a worker may start the render beside it (`claimed()`). */
  private claimWrite: Promise<JobDocument> | null = null;
  /** A token check started ahead of the next write (while the result is stored), used by it. */
  private tokenAhead: Promise<boolean> | null = null;
  private logger: QueueDeps['log'] | undefined;

  constructor(
    readonly deps: QueueDeps,
    readonly lease: Lease,
    doc: JobDocument,
    /** Concurrency slots this attempt holds, freed when it ends. */
    private slots: SlotHold[] = [],
  ) {
    this.current = doc;
    // Until the claim's write names the lease, its life counts from its creation, not from now:
    // a claim that stalled in between must not write after others may take the lease for abandoned.
    this.expiresAtMs = lease.claimedMs + deps.queue.leaseMs;
    this.lastWriteMs = lease.claimedMs;
  }

  get doc(): JobDocument {
    return this.current;
  }

  get log() {
    // Made once: a pino child serialises its bindings, and a job logs from several places.
    this.logger ??= this.deps.log.child({ jobId: this.lease.jobId, attempt: this.lease.attempt });
    return this.logger;
  }

  /**
   * Write the next version of the document. Writes are serialised (a heartbeat never overtakes a
   * progress update) and fenced: refused once the lease has run out or a newer attempt exists.
   */
  write(next: (doc: JobDocument, nowIso: string) => JobDocument | null): Promise<JobDocument> {
    const isClaim = this.claimWrite === null;
    const run = this.chain.then(async () => {
      try {
        return await this.writeNow(next, isClaim);
      } catch (err) {
        // Nothing may follow a claim that did not land: the job is the next claimer's, once the
        // lease the document never named is taken for abandoned.
        const why = err instanceof Error ? err.message : String(err);
        if (isClaim)
          this.lost ??= err instanceof LeaseLostError ? err : new LeaseLostError(this.lease.jobId, this.lease.attempt, `its claim was not written (${why})`);
        throw err;
      }
    });
    this.chain = run.catch(() => undefined);
    if (isClaim) {
      this.claimWrite = run.catch(() => Promise.reject(this.lost));
      this.claimWrite.catch(() => undefined);
    }
    return run;
  }

  /**
   * The claim's write as it lands: the document naming this attempt, or a LeaseLostError if it
   * failed (every later write fails too). Resolved at once for a holder whose claim was awaited.
   */
  claimed(): Promise<JobDocument> {
    return this.claimWrite ?? Promise.resolve(this.current);
  }

  /** The claim's write follows the lease's creation at once: no one can have taken over a lease that new. */
  private async writeNow(next: (doc: JobDocument, nowIso: string) => JobDocument | null, isClaim: boolean): Promise<JobDocument> {
    await this.assertHeld(!isClaim);
    const startedMs = this.deps.now();
    const nowIso = new Date(startedMs).toISOString();
    const doc = next(this.current, nowIso);
    if (doc === null) return this.current; // nothing to write
    assertTransition(this.current.status, doc.status);
    // Every write while processing renews the lease: a holder that can write is alive.
    // A taken-over job keeps its expired lease until the new holder starts its attempt.
    const renews = doc.status === 'processing' && doc.attempt === this.lease.attempt;
    const renewedMs = startedMs + this.deps.queue.leaseMs;
    const written: JobDocument = {
      ...doc,
      updatedAt: nowIso,
      leaseExpiresAt: doc.status !== 'processing' ? null : renews ? new Date(renewedMs).toISOString() : doc.leaseExpiresAt,
    };
    await writeJob(this.deps.store, written, { from: this.current });
    this.current = written;
    this.lastWriteMs = startedMs;
    if (renews) this.expiresAtMs = renewedMs;
    return written;
  }

  /** Renews the lease; a no-op once the job has left `processing` (a beat queued behind the last write). */
  heartbeat(): Promise<JobDocument> {
    return this.write((doc) => (doc.status === 'processing' ? doc : null));
  }

  /** This attempt's slots, for the ending to free (later calls, and `releaseSlots`, find none). */
  takeSlotHolds(): SlotHold[] {
    const holds = this.slots;
    this.slots = [];
    return holds;
  }

  /** Frees this attempt's concurrency slots (once; later calls do nothing). */
  async releaseSlots(): Promise<void> {
    const holds = this.takeSlotHolds();
    if (holds.length > 0) await releaseSlots(this.deps, holds);
  }

  /**
   * Starts the next write's token check now, beside slow work that precedes it (storing the image),
   * so the ending waits for one round trip fewer.
   */
  checkTokenAhead(): void {
    this.tokenAhead = this.tokenTaken();
    this.tokenAhead.catch(() => undefined);
  }

  private async tokenTaken(): Promise<boolean> {
    return (await this.deps.store.get(keys.lease(this.lease.jobId, this.lease.attempt + 1))) !== null;
  }

  msSinceWrite(): number {
    return this.deps.now() - this.lastWriteMs;
  }

  async cancelRequested(): Promise<boolean> {
    return (await this.deps.store.get(keys.cancel(this.lease.jobId))) !== null;
  }

  /**
   * Fencing, in two checks. Time: a holder writes only while its lease has a heartbeat of slack left,
   * and a taker waits for expiry plus clock skew, so their writes cannot overlap. Token: if attempt
   * N+1 exists, someone took over (a stalled process, a wrong clock) and this holder is done. The
   * token costs a read; the claim's own write skips it, since no one takes over a lease that new.
   */
  private async assertHeld(readToken: boolean): Promise<void> {
    if (this.lost) throw this.lost;
    const { jobId, attempt } = this.lease;
    if (this.deps.now() > this.expiresAtMs - this.deps.queue.heartbeatMs) {
      this.lost = new LeaseLostError(jobId, attempt, 'the lease ran out before it was renewed');
    } else if (readToken) {
      const ahead = this.tokenAhead;
      this.tokenAhead = null;
      if (await (ahead ?? this.tokenTaken())) this.lost = new LeaseLostError(jobId, attempt, `attempt ${attempt + 1} has taken over`);
    }
    if (this.lost) throw this.lost;
  }
}
