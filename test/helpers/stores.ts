// The backends the suites run against, chosen by STORE (fs by default). Each test file gets fresh,
// isolated state: a new temp folder per store.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { FsObjectStore } from '../../shared/store/fs-store.js';
import type { ObjectStore } from '../../shared/store/object-store.js';

export interface StoreFixture {
  store: ObjectStore;
  /** The folder the store lives in, for backends that have one (to check nothing leaves it). */
  dir?: string;
  cleanup(): Promise<void>;
}

const factories: Record<string, () => Promise<StoreFixture>> = {
  async fs() {
    const parent = await mkdtemp(path.join(tmpdir(), 'render-jobs-store-'));
    const dir = path.join(parent, 'jobs');
    return { store: new FsObjectStore(dir), dir, cleanup: () => rm(parent, { recursive: true, force: true }) };
  },
};

export function selectedStores(): Array<[string, () => Promise<StoreFixture>]> {
  const wanted = (process.env.STORE ?? 'fs').split(',').map((s) => s.trim());
  return wanted.map((name) => {
    const make = factories[name];
    if (!make) throw new Error(`STORE=${name}: no such backend in the test suite (have: ${Object.keys(factories).join(', ')})`);
    return [name, make];
  });
}

export async function tempDir(prefix = 'render-jobs-'): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A fresh store for the enclosing describe block, cleaned up after it. */
export function useStore(make: () => Promise<StoreFixture>): { readonly store: ObjectStore } {
  let fixture: StoreFixture | undefined;
  beforeAll(async () => {
    fixture = await make();
  });
  afterAll(() => fixture?.cleanup());
  return {
    get store() {
      if (!fixture) throw new Error('store fixture used outside a test');
      return fixture.store;
    },
  };
}
