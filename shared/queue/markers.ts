// Queue markers (see keys.queueMarker): how a scan finds a job. Written before the document they
// point at; moved when the job is claimed (to when its lease would run out) or requeued; removed once
// the job needs no finding. The document records its marker's key, so whoever ends the job drops
// exactly that marker.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { StoreConflictError } from '../errors.js';
import { parseJsonOrNull } from '../json.js';
import { keys } from '../store/keys.js';
import type { ObjectStore } from '../store/object-store.js';
import { MINUTE } from '../time.js';

/**
 * A marker whose document never appeared is a create that crashed half way, once this old (a create
 * takes milliseconds; its storage retries, well under a minute). Scans and pruning both go by it.
 */
export const ORPHAN_MARKER_AGE_MS = 2 * MINUTE;

const MarkerBody = z.object({ projectId: z.string() });

/** Tags of recent owners: a job's claim, ending and claim loop each ask for its owner's, a hash each time. */
const tags = new Map<string, string>();

/** The owner's tag in marker names: 16 hex characters of the same hash as the owner's slot scope. */
export function ownerTag(ownerId: string | null): string {
  if (ownerId === null) return 'none';
  let tag = tags.get(ownerId);
  if (tag === undefined) {
    if (tags.size >= 10_000) tags.clear();
    tag = createHash('sha256').update(ownerId).digest('hex').slice(0, 16);
    tags.set(ownerId, tag);
  }
  return tag;
}

export function markerKeyOf(job: { jobId: string; projectId: string; ownerId: string | null }, atMs: number, state: 'p' | 'r'): string {
  return keys.queueMarker(atMs, job.jobId, { projectId: job.projectId, state, owner: ownerTag(job.ownerId) });
}

export function putMarker(store: ObjectStore, key: string, projectId: string): Promise<void> {
  // The body still names the project, for workers of the version before names carried it.
  return store.put(key, JSON.stringify({ projectId }), { contentType: 'application/json' });
}

/** The projectId a marker's body names (markers of older versions), or null if unreadable. */
export function markerProject(body: Buffer): string | null {
  const parsed = MarkerBody.safeParse(parseJsonOrNull(body));
  return parsed.success ? parsed.data.projectId : null;
}

/**
 * A job's marker to its next name, in one request. Its old one may be gone (a claim that died after
 * moving it, before writing the document that names it): the new one is written then. A new name
 * already taken (a move whose answer was lost, repeated) leaves only the old one to drop.
 */
export async function moveMarker(store: ObjectStore, from: string, to: string, projectId: string): Promise<void> {
  try {
    if (await store.move(from, to)) return;
  } catch (err) {
    if (!(err instanceof StoreConflictError)) throw err;
    return store.delete(from);
  }
  await putMarker(store, to, projectId);
}

export function dropMarker(store: ObjectStore, key: string): Promise<void> {
  return store.delete(key);
}

/** The key of a job's current marker: recorded in the document, or the old layout's for older ones. */
export function markerOf(doc: { marker: string | null; runAfter: string; jobId: string }): string {
  return doc.marker ?? keys.queueMarker(Date.parse(doc.runAfter), doc.jobId);
}
