// Opens the store the config names. One place to add a backend.
import type { Config } from '../config.js';
import { FsObjectStore } from './fs-store.js';
import type { ObjectStore } from './object-store.js';
import { SupabaseObjectStore } from './supabase-store.js';

export function openStore(config: Pick<Config, 'store'>): ObjectStore {
  const c = config.store;
  switch (c.kind) {
    case 'fs':
      return new FsObjectStore(c.dir);
    case 'supabase':
      return new SupabaseObjectStore({
        url: c.url,
        serviceRoleKey: c.serviceRoleKey,
        bucket: c.bucket,
        assetsBucket: c.assetsBucket,
        atomicCreate: c.atomicCreate,
        requestTimeoutMs: c.timeoutMs,
        retries: c.retries,
      });
  }
}
