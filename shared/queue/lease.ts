// The lease object `leases/{jobId}/{attempt}`: created create-only, so one claimer wins each attempt.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { StoreConflictError } from '../errors.js';
import { parseJsonOrNull } from '../json.js';
import { keys } from '../store/keys.js';
import type { QueueDeps } from './deps.js';

export const LeaseRecord = z.object({
  jobId: z.string(),
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
): Promise<Lease | null> {
  const record: LeaseRecord = {
    jobId: ref.jobId,
    attempt,
    workerId,
    token: randomUUID(),
    claimedAt: new Date(deps.now()).toISOString(),
  };
  const key = keys.lease(ref.jobId, attempt);
  try {
    await deps.store.put(key, JSON.stringify(record), { createOnly: true, contentType: 'application/json' });
  } catch (err) {
    if (err instanceof StoreConflictError) return null;
    throw err;
  }
  if (!deps.store.capabilities.atomicCreate) {
    await new Promise((resolve) => setTimeout(resolve, deps.queue.claimSettleMs));
    const back = await readLease(deps, ref.jobId, attempt);
    if (back?.token !== record.token) return null;
  }
  return { ...ref, attempt, workerId, token: record.token };
}

export async function readLease(deps: QueueDeps, jobId: string, attempt: number): Promise<LeaseRecord | null> {
  const object = await deps.store.get(keys.lease(jobId, attempt));
  if (!object) return null;
  const parsed = LeaseRecord.safeParse(parseJsonOrNull(object.body));
  return parsed.success ? parsed.data : null;
}
