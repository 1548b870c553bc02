// "Exactly one of many writers wins this key": a create-only put, and on a store that cannot promise
// an atomic create (old Supabase Storage lets concurrent creates all "succeed", last writer wins),
// the winner is whoever's token is still there once the writes have settled. Leases, slots,
// idempotency records and charge markers all decide their winner this way.
import { setTimeout as sleep } from 'node:timers/promises';
import { StoreConflictError } from '../errors.js';
import { parseJsonOrNull } from '../json.js';
import type { QueueDeps } from './deps.js';

export async function createOnlyWins(deps: Pick<QueueDeps, 'store' | 'queue'>, key: string, record: { token: string }): Promise<boolean> {
  try {
    await deps.store.put(key, JSON.stringify(record), { createOnly: true, contentType: 'application/json' });
  } catch (err) {
    if (err instanceof StoreConflictError) return false;
    throw err;
  }
  if (deps.store.capabilities.atomicCreate) return true;
  await sleep(deps.queue.claimSettleMs);
  return (await readToken(deps, key)) === record.token;
}

async function readToken(deps: Pick<QueueDeps, 'store'>, key: string): Promise<string | null> {
  const object = await deps.store.get(key);
  const body = object ? (parseJsonOrNull(object.body) as { token?: unknown } | null) : null;
  return typeof body?.token === 'string' ? body.token : null;
}
