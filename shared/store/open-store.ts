// Opens the store the config names. One place to add a backend.
import type { Config } from '../config.js';
import { FsObjectStore } from './fs-store.js';
import type { ObjectStore } from './object-store.js';

export function openStore(config: Pick<Config, 'store'>): ObjectStore {
  switch (config.store.kind) {
    case 'fs':
      return new FsObjectStore(config.store.dir);
  }
}
