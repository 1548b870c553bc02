// `render-jobs migrate --from-bucket`: copies the small objects of a bucket (or any store) into the
// Postgres store, create-only, so that it can run twice — once with the workers stopped, once after
// the switch for jobs created in between — and never overwrite what the new store already wrote.
// Images stay where they are: the Postgres store reads them from the same assets bucket.
import { StoreConflictError } from '../shared/errors.js';
import { listAll, listAllFolders, type ObjectStore } from '../shared/store/object-store.js';

/** Everything that says what a job is and what was promised for it. Slots, rate tickets and
 * worker metrics are not copied: they describe the moment, and the new store builds its own. */
export const COPIED_FOLDERS = ['jobs/', 'queue/', 'leases/', 'cancel/', 'idempotency/', 'charges/', 'webhooks/'];

export interface CopyCounts {
  copied: number;
  /** Already in the target (a second run, or written there since). */
  present: number;
}

export async function copyStore(from: ObjectStore, to: ObjectStore, onFolder?: (prefix: string, counts: CopyCounts) => void): Promise<CopyCounts> {
  const counts: CopyCounts = { copied: 0, present: 0 };
  for (const prefix of COPIED_FOLDERS) {
    await copyFolder(from, to, prefix, counts);
    onFolder?.(prefix, counts);
  }
  return counts;
}

async function copyFolder(from: ObjectStore, to: ObjectStore, prefix: string, counts: CopyCounts): Promise<void> {
  for await (const folder of listAllFolders(from, prefix)) await copyFolder(from, to, `${folder.key}/`, counts);
  for await (const entry of listAll(from, prefix)) {
    const object = await from.get(entry.key);
    if (!object) continue; // deleted since it was listed
    try {
      await to.put(entry.key, object.body, { createOnly: true, contentType: object.contentType });
      counts.copied++;
    } catch (err) {
      if (!(err instanceof StoreConflictError)) throw err;
      counts.present++;
    }
  }
}
