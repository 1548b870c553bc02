// A job's short history — created, claimed, stages, retries with their reasons, the outcome — kept
// in the document itself (written by its one writer), capped so a long-lived job stays small.
import { z } from 'zod';

export const HISTORY_TYPES = ['created', 'claimed', 'stage', 'lost', 'retrying', 'handed_back', 'completed', 'failed', 'cancelled'] as const;

export const HistoryEntry = z.object({
  at: z.iso.datetime(),
  type: z.enum(HISTORY_TYPES),
  message: z.string().max(500).nullable().default(null),
  attempt: z.number().int().min(0).nullable().default(null),
  workerId: z.string().max(100).nullable().default(null),
  /** The API request that caused it (its `x-request-id`), for entries a request causes. */
  requestId: z.string().max(128).nullable().default(null),
});
export type HistoryEntry = z.output<typeof HistoryEntry>;

/** Oldest entries kept at the head (how it started), newest at the tail (how it is going). */
const KEEP_FIRST = 10;
const MAX_ENTRIES = 50;

export function appendHistory(history: HistoryEntry[], entry: Pick<HistoryEntry, 'at' | 'type'> & Partial<Omit<HistoryEntry, 'at' | 'type'>>): HistoryEntry[] {
  const full: HistoryEntry = { message: null, attempt: null, workerId: null, requestId: null, ...entry };
  if (full.message) full.message = full.message.slice(0, 500);
  const next = [...history, full];
  if (next.length <= MAX_ENTRIES) return next;
  return [...next.slice(0, KEEP_FIRST), ...next.slice(next.length - (MAX_ENTRIES - KEEP_FIRST))];
}
