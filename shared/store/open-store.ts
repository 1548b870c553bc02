// Opens the store the config names. One place to add a backend.
import type { Config, SupabaseStoreConfig } from '../config.js';
import { FsObjectStore } from './fs-store.js';
import type { ObjectStore } from './object-store.js';
import { PostgresObjectStore } from './postgres-store.js';
import { SupabaseObjectStore } from './supabase-store.js';

export function openStore(config: Pick<Config, 'store'>): ObjectStore {
  const c = config.store;
  switch (c.kind) {
    case 'fs':
      return new FsObjectStore(c.dir);
    case 'supabase':
      return supabaseStore(c);
    case 'postgres':
      // The driver itself is loaded on the first statement, not here.
      return new PostgresObjectStore({
        url: c.url,
        listenUrl: c.listenUrl,
        schema: c.schema,
        poolMax: c.poolMax,
        timeoutMs: c.timeoutMs,
        retries: c.retries,
        assets: c.assets.kind === 'fs' ? new FsObjectStore(c.assets.dir) : supabaseStore(c.assets),
      });
  }
}

function supabaseStore(c: SupabaseStoreConfig): SupabaseObjectStore {
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
