// The worker's store, with the time of each data call told to the pacing (worker/pacing.ts).
import type { ObjectStore } from '../shared/store/object-store.js';

const TIMED = new Set<PropertyKey>(['stat', 'get', 'put', 'list', 'listFolders', 'delete', 'deleteMany', 'move']);

/** `store` as it is, but each call in TIMED reports its time, from the call to its answer, to `observe`. */
export function timedStore(store: ObjectStore, observe: (ms: number) => void): ObjectStore {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      let fn = wrapped.get(prop);
      if (!fn) {
        const call = value as (...args: unknown[]) => Promise<unknown>;
        fn = TIMED.has(prop)
          ? (...args: unknown[]) => {
              const from = performance.now();
              return call.apply(target, args).finally(() => observe(performance.now() - from));
            }
          : call.bind(target);
        wrapped.set(prop, fn);
      }
      return fn;
    },
  });
}
