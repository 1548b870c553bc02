// Per-caller limits that hold across every function instance: each create (or upload URL) takes a
// numbered ticket `rate/{scope}/{windowStart}-{n}` create-only in the current minute's window; when
// the window holds `limit` tickets, the answer is 429 with the seconds until the next window.
import { RateLimitedError, StoreConflictError } from '../errors.js';
import type { ObjectStore } from '../store/object-store.js';
import { keys } from '../store/keys.js';
import { listAll } from '../store/object-store.js';

const WINDOW_MS = 60_000;

export function takeCreateTicket(store: ObjectStore, scope: string, limit: number, nowMs: number): Promise<void> {
  return takeTickets(store, scope, limit, nowMs);
}

/** `count` tickets at once (all or none are kept): one per upload URL asked for in one request. */
export async function takeTickets(
  store: ObjectStore,
  scope: string,
  limit: number,
  nowMs: number,
  opts: { count?: number; what?: string } = {},
): Promise<void> {
  const count = opts.count ?? 1;
  if (limit <= 0) return;
  if (count > limit) throw new RateLimitedError(60, limit, opts.what);
  const window = Math.floor(nowMs / WINDOW_MS) * WINDOW_MS;
  const prefix = String(window).padStart(13, '0') + '-';
  let used = 0;
  const stale: string[] = [];
  for await (const entry of listAll(store, keys.rateFolder(scope))) {
    if (entry.name.startsWith(prefix)) used++;
    else if (entry.name < prefix) stale.push(entry.key);
  }
  // Past windows are tidied by whoever comes next; a failed delete is retried then.
  void Promise.all(stale.slice(0, 50).map((k) => store.delete(k).catch(() => undefined)));
  const taken: string[] = [];
  for (let n = used; n < limit && taken.length < count; n++) {
    const key = keys.rateTicket(scope, prefix, n);
    try {
      await store.put(key, '{}', { createOnly: true, contentType: 'application/json' });
      taken.push(key);
    } catch (err) {
      if (!(err instanceof StoreConflictError)) throw err; // taken by a concurrent create: try the next
    }
  }
  if (taken.length === count) return;
  // Not enough left: give back what this request took, so a refused request costs nothing.
  await Promise.all(taken.map((k) => store.delete(k).catch(() => undefined)));
  throw new RateLimitedError(Math.max(1, Math.ceil((window + WINDOW_MS - nowMs) / 1000)), limit, opts.what);
}
