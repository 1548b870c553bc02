// Job documents are checked on every write: a create whole, a later version without the request
// part it cannot change (conceptInputs, checked when the job was created and on every read), and a
// holder's write only in the fields it changed from the version it started from.
import { describe, expect, it } from 'vitest';
import { CorruptDocumentError } from '../../shared/errors.js';
import { readJob, writeJob } from '../../shared/job/job-docs.js';
import { loadConfig } from '../../shared/config.js';
import { newJobDocument } from '../../shared/queue/enqueue.js';
import { FsObjectStore } from '../../shared/store/fs-store.js';
import { smallRequest } from '../helpers/concept.js';
import { tempDir } from '../helpers/stores.js';

describe('writeJob', () => {
  const doc = () => newJobDocument({ queue: loadConfig({}).queue }, smallRequest('docs'), Date.now());

  it('refuses a create whose request part is invalid', async () => {
    const { dir, cleanup } = await tempDir();
    const bad = { ...doc(), conceptInputs: { ...doc().conceptInputs, volumes: [] } };
    await expect(writeJob(new FsObjectStore(dir), bad, { createOnly: true })).rejects.toBeInstanceOf(CorruptDocumentError);
    await cleanup();
  });

  it('refuses a later version with a field out of range, and writes a valid one as given', async () => {
    const { dir, cleanup } = await tempDir();
    const store = new FsObjectStore(dir);
    const first = doc();
    await writeJob(store, first, { createOnly: true });
    await expect(writeJob(store, { ...first, progress: 101 })).rejects.toBeInstanceOf(CorruptDocumentError);
    await expect(writeJob(store, { ...first, conceptInputs: null as never })).rejects.toBeInstanceOf(CorruptDocumentError);
    const next = { ...first, status: 'processing' as const, progress: 40 };
    await writeJob(store, next);
    expect(await readJob(store, first.projectId, first.jobId)).toEqual(next);
    await cleanup();
  });

  it('checks a version made from another in the fields it changed, and writes it as given', async () => {
    const { dir, cleanup } = await tempDir();
    const store = new FsObjectStore(dir);
    const first = doc();
    await writeJob(store, first, { createOnly: true });
    await expect(writeJob(store, { ...first, progress: 101 }, { from: first })).rejects.toBeInstanceOf(CorruptDocumentError);
    await expect(writeJob(store, { ...first, history: [...first.history, { at: 'yesterday' } as never] }, { from: first })).rejects.toBeInstanceOf(
      CorruptDocumentError,
    );
    const next = { ...first, status: 'processing' as const, progress: 40 };
    await writeJob(store, next, { from: first });
    expect(await readJob(store, first.projectId, first.jobId)).toEqual(next);
    await cleanup();
  });
});
