// The lease object `leases/{jobId}/{attempt}`: created create-only, so one claimer wins each attempt.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { parseJsonOrNull } from '../json.js';
import { keys } from '../store/keys.js';
import { createOnlyWins } from './create-only.js';
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
export async function createLease(deps: QueueDeps, ref: { projectId: string; jobId: string }, attempt: number, workerId: string): Promise<Lease | null> {
  const claimedMs = deps.now();
  const record: LeaseRecord = {
    jobId: ref.jobId,
    projectId: ref.projectId,
    attempt,
    workerId,
    token: randomUUID(),
    claimedAt: new Date(claimedMs).toISOString(),
  };
  if (!(await createOnlyWins(deps, keys.lease(ref.jobId, attempt), record))) return null;
  return { ...ref, attempt, workerId, token: record.token, claimedMs };
}

export async function readLease(deps: Pick<QueueDeps, 'store'>, jobId: string, attempt: number): Promise<LeaseRecord | null> {
  const object = await deps.store.get(keys.lease(jobId, attempt));
  if (!object) return null;
  const parsed = LeaseRecord.safeParse(parseJsonOrNull(object.body));
  return parsed.success ? parsed.data : null;
}
