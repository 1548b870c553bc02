// Queue markers, `queue/{runAfter}-{jobId}` with `{projectId}` inside: how a scan finds a job's
// document. Written before the document they point at; removed once the job needs no finding.
import { z } from 'zod';
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

export function putMarker(store: ObjectStore, runAfterMs: number, ref: { projectId: string; jobId: string }): Promise<void> {
  return store.put(keys.queueMarker(runAfterMs, ref.jobId), JSON.stringify({ projectId: ref.projectId }), { contentType: 'application/json' });
}

/** The projectId a marker names, or null if the marker is unreadable. */
export function markerProject(body: Buffer): string | null {
  const parsed = MarkerBody.safeParse(parseJsonOrNull(body));
  return parsed.success ? parsed.data.projectId : null;
}

export function dropMarker(store: ObjectStore, runAfterMs: number, jobId: string): Promise<void> {
  return store.delete(keys.queueMarker(runAfterMs, jobId));
}
