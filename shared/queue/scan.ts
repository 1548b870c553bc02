// Finding work: queue markers in name order (= run order) whose time has come.
import { keys, parseQueueMarker } from '../store/keys.js';
import { listAll } from '../store/object-store.js';
import type { QueueDeps } from './deps.js';
import { markerProject } from './markers.js';

export interface DueJob {
  jobId: string;
  projectId: string;
  runAfterMs: number;
  markerKey: string;
}

/**
 * Due markers, oldest first. Markers stay while their job runs (so a crashed worker's job is found
 * again once its lease expires); `skip` lets the caller pass over jobs it knows are busy without
 * reading them. A marker that cannot be read is removed: it cannot name a job.
 */
export async function* scanDue(
  deps: QueueDeps,
  skip: (jobId: string) => boolean = () => false,
  /** Markers never change their project: a caller that remembers it saves a read per marker. */
  projects?: Map<string, string>,
): AsyncGenerator<DueJob> {
  const now = deps.now();
  for await (const entry of listAll(deps.store, keys.queueFolder)) {
    const marker = parseQueueMarker(entry.name);
    if (!marker) continue;
    if (marker.runAfterMs > now) return; // name order is time order: nothing later is due
    if (skip(marker.jobId)) continue;
    const known = projects?.get(marker.jobId);
    if (known) {
      yield { jobId: marker.jobId, projectId: known, runAfterMs: marker.runAfterMs, markerKey: entry.key };
      continue;
    }
    const object = await deps.store.get(entry.key);
    if (!object) continue; // removed since the listing
    const projectId = markerProject(object.body);
    if (projectId === null) {
      deps.log.warn({ key: entry.key }, 'removing unreadable queue marker');
      await deps.store.delete(entry.key);
      continue;
    }
    if (projects) {
      if (projects.size >= 10_000) projects.clear(); // a cache, not a record: start over
      projects.set(marker.jobId, projectId);
    }
    yield { jobId: marker.jobId, projectId, runAfterMs: marker.runAfterMs, markerKey: entry.key };
  }
}
