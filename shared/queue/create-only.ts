// "Exactly one of many writers wins this key": a create-only put, and on a store that cannot promise
// an atomic create (old Supabase Storage lets concurrent creates all "succeed", last writer wins),
// the winner is whoever's token is still there once the writes have settled. Leases, slots,
// idempotency records and charge markers all decide their winner this way.
import { setTimeout as sleep } from 'node:timers/promises';
import { StoreConflictError } from '../errors.js';
import { parseJsonOrNull } from '../json.js';
import type { QueueDeps } from './deps.js';

type CreateDeps = Pick<QueueDeps, 'store' | 'queue'>;

export async function createOnlyWins(deps: CreateDeps, key: string, record: { token: string }): Promise<boolean> {
  const answered = await createOnly(deps, key, record);
  return answered ? answered.won() : false;
}

/**
 * The create-only put, answered: null when refused, else `won`, which says whether it stands (at
 * once on an atomic store; else by reading the token back once the writes have settled). Split so
 * a caller that can prove no one else creates the key meanwhile (charge.ts) can skip the settle.
 */
export async function createOnly(deps: CreateDeps, key: string, record: { token: string }): Promise<{ won(): Promise<boolean> } | null> {
  try {
    await deps.store.put(key, JSON.stringify(record), { createOnly: true, contentType: 'application/json' });
  } catch (err) {
    if (err instanceof StoreConflictError) return null;
    throw err;
  }
  if (deps.store.capabilities.atomicCreate) return { won: async () => true };
  return {
    won: async () => {
      await sleep(deps.queue.claimSettleMs);
      return (await readToken(deps, key)) === record.token;
    },
  };
}

async function readToken(deps: Pick<QueueDeps, 'store'>, key: string): Promise<string | null> {
  const object = await deps.store.get(key);
  const body = object ? (parseJsonOrNull(object.body) as { token?: unknown } | null) : null;
  return typeof body?.token === 'string' ? body.token : null;
}
