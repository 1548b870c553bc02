// Idempotent creates. `idempotency/{projectId}/{keyHash}` is created create-only *before* the job,
// holding the whole request and the id the job will have. Whoever wins that write creates the job;
// a duplicate (a retry, a double click, a concurrent request) gets the same job back. A create that
// stopped half way (its process died between the record and the document) is finished by the next
// request with the key: the document is rebuilt from the record, so nothing is lost or doubled.
import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { AppError, StoreConflictError, StoreUnavailableError } from '../errors.js';
import { newJobId } from '../ids.js';
import type { JobDocument } from '../job/document.js';
import { RenderRequest } from '../job/request.js';
import { parseJsonOrNull } from '../json.js';
import { keys } from '../store/keys.js';
import { createOnlyWins } from './create-only.js';
import type { QueueDeps } from './deps.js';
import { canonicalJson, newJobDocument, storeNewJob } from './enqueue.js';
import { readJob } from '../job/job-docs.js';

/** A duplicate waits this long for the first request to finish creating the job… */
const WAIT_FOR_FIRST_MS = 2_000;
/** …and finishes the create itself once the record is this old (its creator is gone). */
const STALLED_CREATE_MS = 5_000;

const IdempotencyRecord = z.object({
  token: z.string(),
  jobId: z.string(),
  ownerId: z.string().nullable(),
  createdAt: z.iso.datetime(),
  requestHash: z.string(),
  request: z.unknown(),
});
type IdempotencyRecord = z.output<typeof IdempotencyRecord>;

export class IdempotencyConflictError extends AppError {
  constructor() {
    super('idempotency_key_reused', 'This Idempotency-Key was used with a different request. Use a new key for a new request.', { status: 422 });
  }
}

export class IdempotencyInProgressError extends AppError {
  constructor() {
    super('idempotency_in_progress', 'A request with this Idempotency-Key is still being processed; retry shortly.', { status: 409, retryable: true });
  }
}

/** Keys are scoped to a project and an owner; hashed, so any printable key makes a safe store key. */
export function idempotencyKeyHash(ownerId: string | null, key: string): string {
  return createHash('sha256')
    .update(`${ownerId ?? ''}\n${key}`)
    .digest('hex');
}

export interface CreateOutcome {
  job: JobDocument;
  /** True when an earlier request with the same key made the job. */
  replayed: boolean;
}

export async function createJobOnce(
  deps: QueueDeps,
  request: RenderRequest,
  owner: { ownerId: string | null; idempotencyKey: string; requestId?: string | null },
): Promise<CreateOutcome> {
  const key = keys.idempotency(request.projectId, idempotencyKeyHash(owner.ownerId, owner.idempotencyKey));
  const nowMs = deps.now();
  const mine: IdempotencyRecord = {
    token: randomUUID(),
    jobId: newJobId(nowMs),
    ownerId: owner.ownerId,
    createdAt: new Date(nowMs).toISOString(),
    requestHash: requestHash(request),
    request,
  };
  const won = await createOnlyWins(deps, key, mine);
  // Where create-only is racy, a record read at once may be one that a racing "winner" is about to
  // overwrite: the record names the job only once the writes have settled, as for the winner.
  if (!won && !deps.store.capabilities.atomicCreate) await sleep(deps.queue.claimSettleMs);
  const record = won ? mine : await readRecord(deps, key);
  if (!record) throw new StoreUnavailableError('The idempotency record vanished while it was read; retry the request.');
  if (record.requestHash !== mine.requestHash) throw new IdempotencyConflictError();
  if (won) return { job: await materialise(deps, record, owner.idempotencyKey, owner.requestId ?? null), replayed: false };

  const deadline = deps.now() + WAIT_FOR_FIRST_MS;
  for (;;) {
    const job = await readJob(deps.store, request.projectId, record.jobId);
    if (job) return { job, replayed: true };
    if (deps.now() - Date.parse(record.createdAt) >= STALLED_CREATE_MS) {
      deps.log.warn({ jobId: record.jobId }, 'finishing an idempotent create whose first request stopped half way');
      return { job: await materialise(deps, record, owner.idempotencyKey, owner.requestId ?? null), replayed: true };
    }
    if (deps.now() >= deadline) throw new IdempotencyInProgressError();
    await sleep(100);
  }
}

async function readRecord(deps: QueueDeps, key: string): Promise<IdempotencyRecord | null> {
  const object = await deps.store.get(key);
  if (!object) return null;
  const parsed = IdempotencyRecord.safeParse(parseJsonOrNull(object.body));
  return parsed.success ? parsed.data : null;
}

async function materialise(deps: QueueDeps, record: IdempotencyRecord, idempotencyKey: string, requestId: string | null): Promise<JobDocument> {
  const request = RenderRequest.parse(record.request);
  const doc = newJobDocument(deps, request, Date.parse(record.createdAt), { jobId: record.jobId, ownerId: record.ownerId, idempotencyKey, requestId });
  try {
    await storeNewJob(deps, doc);
    return doc;
  } catch (err) {
    if (!(err instanceof StoreConflictError)) throw err;
    return (await readJob(deps.store, doc.projectId, doc.jobId)) ?? doc;
  }
}

function requestHash(request: RenderRequest): string {
  const { idempotencyKey: _key, ...rest } = request;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

/** Whether a create with this key was already made: a replay is answered without taking a rate ticket. */
export async function idempotentCreateExists(deps: QueueDeps, projectId: string, ownerId: string | null, idempotencyKey: string): Promise<boolean> {
  return (await deps.store.stat(keys.idempotency(projectId, idempotencyKeyHash(ownerId, idempotencyKey)))) !== null;
}
