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
import { createOnlyWins } from './create-only.js';
import type { QueueDeps } from './deps.js';

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

export type ChargeOutcome = 'charged' | 'failed' | 'already' | 'free' | 'not_completed';

export async function chargeOnce(deps: QueueDeps, doc: JobDocument): Promise<ChargeOutcome> {
  if (doc.status !== 'completed') return 'not_completed';
  const credits = CREDITS[doc.kind];
  if (credits === 0) return 'free';
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
  if (!(await createOnlyWins(deps, key, record))) return 'already';
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
