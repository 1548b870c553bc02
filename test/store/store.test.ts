// Runs the conformance suite against every selected backend (STORE=fs by default).
import { readdir } from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../shared/store/fs-store.js';
import { selectedStores, tempDir } from '../helpers/stores.js';
import { describeObjectStore } from './conformance.js';

for (const [name, make] of selectedStores()) describeObjectStore(name, make);

describe('FsObjectStore', () => {
  it('writes nothing outside its root, whatever the key', async () => {
    const { dir, cleanup } = await tempDir();
    const store = new FsObjectStore(path.join(dir, 'root'));
    await store.put('ok/x', 'x');
    for (const key of ['../outside', 'ok/../../outside', '..\\outside', 'ok/%2e%2e/outside']) {
      await store.put(key, 'x').catch(() => undefined);
    }
    expect(await readdir(dir)).toEqual(['root']);
    await cleanup();
  });

  it('leaves no temp files behind after writes and refused creates', async () => {
    const { dir, cleanup } = await tempDir();
    const store = new FsObjectStore(dir);
    await store.put('f/a', '1', { createOnly: true });
    await store.put('f/a', '2', { createOnly: true }).catch(() => undefined);
    await store.put('f/a', '3');
    expect(await readdir(path.join(dir, 'f'))).toEqual(['a']);
    await cleanup();
  });
});
