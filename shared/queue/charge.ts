// Usage is charged once per completed job, never on create or failure. The guard is a create-only
// marker `charges/{projectId}/{jobId}.json`: whoever creates it (the holder that completed the job,
// or a scan that finds a completed job whose holder died before charging) calls the hook; everyone
// after them finds the marker and does nothing. Retries, takeovers and duplicate completions
// therefore never charge twice. The marker is also the ledger: it records the outcome of the call.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { JobDocument } from '../job/document.js';
import { CREDITS } from '../kinds/credits.js';
import { keys } from '../store/keys.js';
import { createOnly } from './create-only.js';
import { CLOCK_SKEW_MS, type QueueDeps } from './deps.js';

export const ChargeRecord = z.object({
  token: z.string(),
  jobId: z.string(),
  projectId: z.string(),
  ownerId: z.string().nullable(),
  kind: z.string(),
  credits: z.number().int().min(0),
  completedAt: z.iso.datetime(),
  state: z.enum(['charging', 'charged', 'failed']),
  chargedAt: z.iso.datetime().nullable(),
  error: z.string().nullable(),
});
export type ChargeRecord = z.output<typeof ChargeRecord>;

export type { ChargeHook } from './deps.js';

/** `writers_turn`: not yet, on a racy store: the charge is the ending's writer's for now (below). */
export type ChargeOutcome = 'charged' | 'failed' | 'already' | 'free' | 'not_completed' | 'writers_turn';

export interface ChargeOptions {
  /** This process wrote the job's ending (the only one that may: one writer per job). */
  writer?: boolean;
}

/**
 * On a store without atomic creates, chargers racing for the marker would each need to read their
 * token back after a settle. Instead the charge is the ending's writer's alone for a lease's time
 * after its write (`updatedAt`, by the writer's clock), as a job is its lease holder's: anyone else
 * leaves it, and the queue marker, until then and the clock skew after. The writer's create,
 * answered within that time, landed before anyone else may try (theirs then finds it: a create is
 * racy only against one in flight), so it stands without a read-back; answered later, it is read back.
 */
export function othersChargeFromMs(deps: Pick<QueueDeps, 'queue'>, doc: JobDocument): number {
  return writersTurnEndsMs(deps, doc) + CLOCK_SKEW_MS;
}

function writersTurnEndsMs(deps: Pick<QueueDeps, 'queue'>, doc: JobDocument): number {
  return Date.parse(doc.updatedAt) + deps.queue.leaseMs;
}

export async function chargeOnce(deps: QueueDeps, doc: JobDocument, opts: ChargeOptions = {}): Promise<ChargeOutcome> {
  if (doc.status !== 'completed') return 'not_completed';
  const credits = CREDITS[doc.kind];
  if (credits === 0) return 'free';
  const racy = !deps.store.capabilities.atomicCreate;
  if (racy && !opts.writer && deps.now() < othersChargeFromMs(deps, doc)) return 'writers_turn';
  const key = keys.charge(doc.projectId, doc.jobId);
  const hook = deps.charge;
  const record: ChargeRecord = {
    token: randomUUID(),
    jobId: doc.jobId,
    projectId: doc.projectId,
    ownerId: doc.ownerId,
    kind: doc.kind,
    credits,
    completedAt: doc.completedAt ?? doc.updatedAt,
    // With no hook there is nothing to call: the ledger entry is written final, in one request.
    state: hook ? 'charging' : 'charged',
    chargedAt: hook ? null : new Date(deps.now()).toISOString(),
    error: null,
  };
  const answered = await createOnly(deps, key, record);
  if (!answered) return 'already';
  const writersTurn = racy && opts.writer === true && deps.now() <= writersTurnEndsMs(deps, doc);
  if (!writersTurn && !(await answered.won())) return 'already';
  if (!hook) return 'charged';
  const log = deps.log.child({ jobId: doc.jobId });
  let final: ChargeRecord;
  try {
    await hook({
      idempotencyKey: doc.jobId,
      jobId: doc.jobId,
      projectId: doc.projectId,
      ownerId: doc.ownerId,
      kind: doc.kind,
      credits,
      completedAt: record.completedAt,
    });
    final = { ...record, state: 'charged', chargedAt: new Date(deps.now()).toISOString() };
  } catch (err) {
    // Never retried automatically (that could charge twice); the ledger says what to reconcile.
    log.error({ err }, 'charge hook failed; the charge marker records it as failed');
    final = { ...record, state: 'failed', error: err instanceof Error ? err.message.slice(0, 500) : String(err).slice(0, 500) };
  }
  await deps.store
    .put(key, JSON.stringify(final), { contentType: 'application/json' })
    .catch((err: unknown) => log.warn({ err }, 'charge ledger entry not updated'));
  return final.state === 'charged' ? 'charged' : 'failed';
}
