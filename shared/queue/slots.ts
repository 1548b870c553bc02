// Concurrency caps across every worker sharing a store. A cap of N is N slots; each slot is a short
// log of entries `slots/{scope}/{slot}-{generation}-{h|f}`. Taking a slot creates the next
// generation's `h` create-only, so exactly one of any number of racing workers gets it; its holder
// frees it by adding `f` beside its own generation (at a job's ending, its queue marker moved
// there). The newest generation is the slot's state: held unless freed. A holder that died leaves
// a held entry that goes stale once its job is no longer running that attempt under a live lease;
// the next taker takes the next generation over it, the same way an expired lease is taken over.
// Older generations are history, deleted in batches.
import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { StoreConflictError } from '../errors.js';
import { parseJsonOrNull } from '../json.js';
import { keys, parseSlotName } from '../store/keys.js';
import { listAll, listAllFolders } from '../store/object-store.js';
import { createOnlyWins } from './create-only.js';
import { CLOCK_SKEW_MS, type QueueDeps } from './deps.js';
import { readJob } from '../job/job-docs.js';

const HeldEntry = z.object({ token: z.string(), jobId: z.string(), projectId: z.string(), attempt: z.number().int(), heldAt: z.iso.datetime() });
type HeldEntry = z.output<typeof HeldEntry>;

export interface SlotHold {
  scope: string;
  slot: number;
  gen: number;
}

export interface SlotHolder {
  projectId: string;
  jobId: string;
  attempt: number;
}

export const GLOBAL_SCOPE = 'all';

/** An owner's slots live under a hash of the owner id: any id makes a safe key, none is revealed. */
export function ownerScope(ownerId: string): string {
  return 'owner-' + createHash('sha256').update(ownerId).digest('hex').slice(0, 32);
}

interface SlotTop {
  scope: string;
  slot: number;
  /** The newest generation, held unless freed. */
  gen: number;
  held: boolean;
}

interface ScopeState {
  tops: Map<number, SlotTop>;
  /** Entries of generations older than their slot's newest: nothing reads them any more. */
  history: string[];
}

/**
 * History is deleted once a scope has this many entries of it, in one request, by the claim that
 * lists them: a take costs no delete of its own, and the listing every claim makes stays one page
 * (two entries a slot, plus fewer than this).
 */
export const SLOT_HISTORY_BATCH = 32;

async function readTops(deps: QueueDeps, scope: string): Promise<ScopeState> {
  const tops = new Map<number, SlotTop>();
  const entries: Array<{ key: string; slot: number; gen: number }> = [];
  for await (const entry of listAll(deps.store, keys.slotFolder(scope))) {
    const parsed = parseSlotName(entry.name);
    if (!parsed) continue;
    entries.push({ key: entry.key, slot: parsed.slot, gen: parsed.gen });
    const top = tops.get(parsed.slot) ?? { scope, slot: parsed.slot, gen: -1, held: false };
    if (parsed.gen > top.gen) Object.assign(top, { gen: parsed.gen, held: parsed.held });
    else if (parsed.gen === top.gen && !parsed.held) top.held = false;
    tops.set(parsed.slot, top);
  }
  return { tops, history: entries.filter((e) => e.gen < tops.get(e.slot)!.gen).map((e) => e.key) };
}

/**
 * Deletes a scope's history once there is a batch of it. Only generations older than the newest
 * seen are deleted: the state of a slot is its newest generation, which stays, and a newer one
 * taken since the listing is newer still.
 */
function tidyHistory(deps: QueueDeps, scope: string, history: string[]): void {
  if (history.length < SLOT_HISTORY_BATCH) return;
  void deps.store.deleteMany(history).catch((err: unknown) => deps.log.debug({ err, scope }, 'slot history not deleted; the next batch includes it'));
}

/**
 * The retention sweep's share: history left below a batch (a scope that has gone quiet keeps it
 * otherwise), every scope in one listing and at most one delete. Null if the deadline came first.
 */
export async function pruneSlotHistory(deps: QueueDeps, overTime: () => boolean): Promise<number | null> {
  let deleted = 0;
  for await (const folder of listAllFolders(deps.store, 'slots/')) {
    if (overTime()) return null;
    const { history } = await readTops(deps, folder.name);
    if (history.length > 0) await deps.store.deleteMany(history);
    deleted += history.length;
  }
  return deleted;
}

/** One of `cap` slots for `holder`, or null when all are held by live jobs. */
export async function takeSlot(
  deps: QueueDeps,
  scope: string,
  cap: number,
  holder: SlotHolder,
  read: Promise<ScopeState> = readTops(deps, scope),
): Promise<SlotHold | null> {
  const { tops, history } = await read;
  tidyHistory(deps, scope, history);
  // Free slots first, from a random place so that racing workers rarely pick the same one.
  const start = Math.floor(Math.random() * cap);
  const order = Array.from({ length: cap }, (_, i) => (start + i) % cap);
  const free = order.filter((s) => !tops.get(s)?.held);
  for (const slot of free) {
    const hold = await tryTake(deps, scope, slot, tops.get(slot), holder);
    if (hold) return hold;
  }
  // All held: a holder that died leaves its slot to whoever notices. Checked side by side: after a
  // crash several slots may be stale at once, and each check is two reads.
  const held = order.filter((slot) => tops.get(slot)?.held);
  const checked = await Promise.all(held.map(async (slot) => ((await isStale(deps, tops.get(slot)!)) ? slot : null)));
  const stale = checked.filter((slot) => slot !== null);
  for (const [i, slot] of stale.entries()) {
    deps.log.warn({ scope, slot }, 'taking over a slot whose job is no longer running');
    const hold = await tryTake(deps, scope, slot, tops.get(slot), holder);
    if (!hold) continue;
    // The other dead holders' slots are freed now: left held, each would cost every later claim this
    // whole check again (a read of each held slot and of its job), one slot per claim — on a store
    // with a round trip per read, claims of a second and more after a few workers died.
    await freeStale(
      deps,
      stale.slice(i + 1).map((s) => tops.get(s)!),
    );
    return hold;
  }
  return null;
}

/** Marks slots found stale free, as their holders would have (a newer taker's generation still stands). */
async function freeStale(deps: QueueDeps, tops: SlotTop[]): Promise<void> {
  if (tops.length === 0) return;
  deps.log.warn({ scope: tops[0]!.scope, slots: tops.map((t) => t.slot) }, 'freeing slots whose jobs are no longer running');
  await Promise.all(tops.map((t) => releaseSlot(deps, { scope: t.scope, slot: t.slot, gen: t.gen }).catch(() => undefined)));
}

async function tryTake(deps: QueueDeps, scope: string, slot: number, top: SlotTop | undefined, holder: SlotHolder): Promise<SlotHold | null> {
  const gen = top ? top.gen + 1 : 0;
  const entry: HeldEntry = { token: randomUUID(), ...holder, heldAt: new Date(deps.now()).toISOString() };
  if (!(await createOnlyWins(deps, keys.slot(scope, slot, gen, 'h'), entry))) return null;
  return { scope, slot, gen };
}

/**
 * Held entries seen held by a live lease, and until when that lease ran at the least: a held slot
 * cannot go stale before, so checking it again costs no reads. A cache, not a record (per process).
 */
const liveUntil = new Map<string, number>();

/** Held, but not by a running attempt: the job moved on, ended, or its lease ran out. */
async function isStale(deps: QueueDeps, top: SlotTop): Promise<boolean> {
  const key = keys.slot(top.scope, top.slot, top.gen, 'h');
  if ((liveUntil.get(key) ?? 0) > deps.now()) return false;
  return isStaleNow(deps, top);
}

async function isStaleNow(deps: QueueDeps, top: SlotTop): Promise<boolean> {
  const object = await deps.store.get(keys.slot(top.scope, top.slot, top.gen, 'h'));
  if (!object) return false; // freed or taken since the listing: look again next time
  const parsed = HeldEntry.safeParse(parseJsonOrNull(object.body));
  if (!parsed.success) return true;
  const entry = parsed.data;
  const now = deps.now();
  // A claim between taking its slot and writing its document looks idle: give it a lease's time.
  if (Date.parse(entry.heldAt) + deps.queue.leaseMs + CLOCK_SKEW_MS > now) return false;
  const doc = await readJob(deps.store, entry.projectId, entry.jobId).catch(() => null);
  if (!doc || doc.status !== 'processing' || doc.attempt !== entry.attempt) return true;
  const leaseEnd = doc.leaseExpiresAt ? Date.parse(doc.leaseExpiresAt) + CLOCK_SKEW_MS : 0;
  if (leaseEnd <= now) return true;
  if (liveUntil.size >= 10_000) liveUntil.clear();
  liveUntil.set(keys.slot(top.scope, top.slot, top.gen, 'h'), leaseEnd);
  return false;
}

/** Frees a slot: its generation is marked free. If someone took it over meanwhile, theirs is newer and stands. */
export async function releaseSlot(deps: QueueDeps, hold: SlotHold): Promise<void> {
  await deps.store.put(keys.slot(hold.scope, hold.slot, hold.gen, 'f'), JSON.stringify({ freedAt: new Date(deps.now()).toISOString() }), {
    contentType: 'application/json',
  });
}

/**
 * Frees a slot and drops the ending job's queue marker in one request: the marker is moved to the
 * slot's `f` entry (only entries' names are read, never a free one's body). Either missing, the
 * other is done alone; a move whose outcome is unknown is done the plain way, both harmless twice.
 */
export async function releaseSlotMovingMarker(deps: QueueDeps, hold: SlotHold, marker: string): Promise<void> {
  try {
    if (await deps.store.move(marker, keys.slot(hold.scope, hold.slot, hold.gen, 'f'))) return;
  } catch (err) {
    // Already freed (a stale-slot sweep, or a repeat): only the marker is left to drop.
    if (err instanceof StoreConflictError) return deps.store.delete(marker);
    await Promise.all([releaseSlots(deps, [hold]), deps.store.delete(marker)]);
    return;
  }
  await releaseSlots(deps, [hold]); // no marker (a scan dropped it): freed by a put
}

/** A scope's listing started early, beside the document read that decides whether it is needed. */
export interface ScopeRead {
  scope: string;
  read: Promise<ScopeState>;
}

/** The global scope's listing, started now (null when there is no global cap). */
export function readGlobalAhead(deps: QueueDeps): ScopeRead | null {
  if (deps.queue.maxRunning <= 0) return null;
  const read = readTops(deps, GLOBAL_SCOPE);
  read.catch(() => undefined);
  return { scope: GLOBAL_SCOPE, read };
}

/** The slots a job's attempt needs (its owner's and the global one), or null if either cap is full. */
export async function takeSlots(
  deps: QueueDeps,
  holder: SlotHolder & { ownerId: string | null },
  ahead: ScopeRead | null = null,
): Promise<{ holds: SlotHold[] } | { full: 'owner' | 'global' }> {
  const { maxRunning, maxRunningPerOwner } = deps.queue;
  const ref = { projectId: holder.projectId, jobId: holder.jobId, attempt: holder.attempt };
  const wanted: Array<['owner' | 'global', string, number]> = [];
  if (holder.ownerId !== null && maxRunningPerOwner > 0) wanted.push(['owner', ownerScope(holder.ownerId), maxRunningPerOwner]);
  if (maxRunning > 0) wanted.push(['global', GLOBAL_SCOPE, maxRunning]);
  const holds: SlotHold[] = [];
  // Both listed at once; taken one after the other, owner first: a job over its owner's cap never
  // occupies a global slot.
  const reads = wanted.map(([, scope]) => (ahead?.scope === scope ? ahead.read : readTops(deps, scope)));
  for (const r of reads) r.catch(() => undefined);
  for (const [i, [which, scope, cap]] of wanted.entries()) {
    const hold = await takeSlot(deps, scope, cap, ref, reads[i]);
    if (!hold) {
      await releaseSlots(deps, holds);
      return { full: which };
    }
    holds.push(hold);
  }
  return { holds };
}

export async function releaseSlots(deps: QueueDeps, holds: SlotHold[]): Promise<void> {
  await Promise.all(
    holds.map((h) =>
      releaseSlot(deps, h).catch((err: unknown) =>
        deps.log.warn({ err, scope: h.scope, slot: h.slot }, 'could not free a slot; it frees itself once its job is not running'),
      ),
    ),
  );
}
