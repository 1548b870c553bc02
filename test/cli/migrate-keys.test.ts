// `render-jobs migrate-keys` on every store: a layout written before keys were case-safe
// (`jobs/Demo/…`) moves to the case-safe folders, the documents' own keys follow, a project whose
// id has no capitals is untouched, and a second run finds nothing to do.
import { describe, expect, it } from 'vitest';
import { migrateKeys } from '../../cli/migrate-keys.js';
import { newUploadId } from '../../shared/ids.js';
import { enqueueJob } from '../../shared/queue/enqueue.js';
import { readJob } from '../../shared/job/job-docs.js';
import { keys } from '../../shared/store/keys.js';
import { smallRequest } from '../helpers/concept.js';
import { testDeps } from '../helpers/deps.js';
import { selectedStores, useStore } from '../helpers/stores.js';

for (const [name, make] of selectedStores()) {
  describe(`migrate-keys (${name})`, () => {
    const fx = useStore(make);

    it('moves a project with capitals to its case-safe keys, with what its documents name', async () => {
      const store = fx.store;
      const deps = testDeps(store);
      // The old layout, as the previous release wrote it: the project id as it is.
      const legacy = await enqueueJob(deps, smallRequest('Demo'));
      const body = JSON.parse((await store.get(keys.job('Demo', legacy.jobId)))!.body.toString()) as Record<string, unknown>;
      await store.delete(keys.job('Demo', legacy.jobId));
      const oldPreview = `results/Demo/${legacy.jobId}.preview.png`;
      await store.put(`jobs/Demo/${legacy.jobId}.json`, JSON.stringify({ ...body, previewKey: oldPreview }), { contentType: 'application/json' });
      await store.put(oldPreview, Buffer.from('png'), { contentType: 'image/png' });
      await store.put(`charges/Demo/${legacy.jobId}.json`, '{"state":"charged"}', { contentType: 'application/json' });
      const upload = newUploadId();
      await store.put(`uploads/Demo/${upload}`, Buffer.from('img'), { contentType: 'image/png' });
      // A project whose id has no capitals kept its keys all along.
      const plain = await enqueueJob(deps, smallRequest('demo'));

      const dry = await migrateKeys(store, { dryRun: true });
      expect(dry.moved).toBe(4);
      expect(await readJob(store, 'Demo', legacy.jobId)).toBeNull();

      const report = await migrateKeys(store);
      expect(report).toMatchObject({ moved: 4, documentsRewritten: 1, skipped: [] });
      expect(report.legacyFolders.sort()).toEqual(['charges/Demo/', 'jobs/Demo/', 'results/Demo/', 'uploads/Demo/']);
      const moved = await readJob(store, 'Demo', legacy.jobId);
      expect(moved?.previewKey).toBe(keys.preview('Demo', legacy.jobId, 'png'));
      expect((await store.get(moved!.previewKey!))?.body.toString()).toBe('png');
      expect(await store.get(keys.charge('Demo', legacy.jobId))).not.toBeNull();
      expect(await store.get(keys.upload('Demo', upload))).not.toBeNull();
      for (const old of [`jobs/Demo/${legacy.jobId}.json`, oldPreview, `charges/Demo/${legacy.jobId}.json`, `uploads/Demo/${upload}`])
        expect(await store.get(old)).toBeNull();
      expect((await readJob(store, 'demo', plain.jobId))?.status).toBe('pending');

      expect(await migrateKeys(store)).toMatchObject({ moved: 0, legacyFolders: [] });
    });
  });
}
