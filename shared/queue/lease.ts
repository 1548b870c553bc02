// The lease object `leases/{jobId}/{attempt}`: created create-only, so one claimer wins each attempt.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { parseJsonOrNull } from '../json.js';
import { keys } from '../store/keys.js';
import { createOnly, type SharedSettle } from './create-only.js';
import type { QueueDeps } from './deps.js';

export const LeaseRecord = z.object({
  jobId: z.string(),
  /** Lets a sweep tell an orphaned lease (its job gone) from a live one; older leases lack it. */
  projectId: z.string().optional(),
  attempt: z.number().int().min(1),
  workerId: z.string(),
  token: z.string(),
  claimedAt: z.iso.datetime(),
});
export type LeaseRecord = z.output<typeof LeaseRecord>;

export interface Lease {
  jobId: string;
  projectId: string;
  /** The fencing token: writes are refused once `attempt + 1` exists. */
  attempt: number;
  workerId: string;
  token: string;
  /**
   * When it was created, by this process's clock. Until the document names it, its life counts from
   * here: others take a lease the document does not name for abandoned a lease (and the skew) after
   * its `claimedAt`, so its claimer must have written the claim by then, however long the claim took.
   */
  claimedMs: number;
}

/**
 * How long the lease may go without a write before a heartbeat renews it: half of it (each
 * renewal costs a token check and a put, and a short job needs none — at a third, a 5 s render
 * whose ending ran past the 6 s beat paid for one), but never so late that the next beat would find
 * less than two heartbeats left (the holder stops writing at one).
 */
export function renewAfterMs(queue: { leaseMs: number; heartbeatMs: number }): number {
  return Math.max(0, Math.min(queue.leaseMs / 2, queue.leaseMs - 3 * queue.heartbeatMs));
}

/**
 * Try to own `attempt`. Null when another claimer owns it. On a store without atomic create-only
 * writes (old Supabase Storage lets concurrent creates all "succeed", last writer wins), the claim
 * stands only if our own token is still there once the writes have settled.
 */
export async function createLease(
  deps: QueueDeps,
  ref: { projectId: string; jobId: string },
  attempt: number,
  workerId: string,
  /** A settle shared with a create read back beside this one (claim.ts), told when this one is answered. */
  settle?: SharedSettle,
): Promise<Lease | null> {
  const claimedMs = deps.now();
  const record: LeaseRecord = {
    jobId: ref.jobId,
    projectId: ref.projectId,
    attempt,
    workerId,
    token: randomUUID(),
    claimedAt: new Date(claimedMs).toISOString(),
  };
  const answered = await createOnly(deps, keys.lease(ref.jobId, attempt), record).finally(() => settle?.answered());
  if (!answered || !(await answered.won(settle?.over))) return null;
  return { ...ref, attempt, workerId, token: record.token, claimedMs };
}

export async function readLease(deps: QueueDeps, jobId: string, attempt: number): Promise<LeaseRecord | null> {
  const object = await deps.store.get(keys.lease(jobId, attempt));
  return object ? parseLease(object.body) : null;
}

/** A lease's record, or null if it does not parse. */
export function parseLease(body: Buffer): LeaseRecord | null {
  const parsed = LeaseRecord.safeParse(parseJsonOrNull(body));
  return parsed.success ? parsed.data : null;
}

/**
 * Gives back a lease won by a claim that then lost its slot, before anything used it: the job was
 * pending and its document never named the lease. Deleted, its number is free again (claimers that
 * lost the race for it take it again, not the next one: claim.ts), so the lost slot costs the job
 * no attempt number. Should the delete fail, the lease is left as a claimer that died would leave
 * it: taken for abandoned a lease's time after its `claimedAt`, the number after it used.
 */
export async function dropLease(deps: QueueDeps, lease: Lease): Promise<void> {
  await deps.store
    .delete(keys.lease(lease.jobId, lease.attempt))
    .catch((err: unknown) => deps.log.warn({ err, jobId: lease.jobId, attempt: lease.attempt }, 'lease of a lost slot not deleted; it expires'));
}
