// The backends the suites run against, chosen by STORE (default: all three stand-ins below).
// Each fixture gets fresh, isolated state: a new temp folder, or a new Supabase stand-in.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { FsObjectStore } from '../../shared/store/fs-store.js';
import type { ObjectStore } from '../../shared/store/object-store.js';
import { SupabaseObjectStore } from '../../shared/store/supabase-store.js';
import { PrefixedStore } from './prefixed-store.js';
import { postgresFixture } from './postgres.js';
import { until } from './wait.js';
import { interceptWith } from '../stand-ins/msw.js';
import { serveHandlers } from '../stand-ins/serve.js';
import { SERVICE_ROLE_KEY, SupabaseStorageStandIn, type SupabaseStorageOptions } from '../stand-ins/supabase-storage.js';

export interface StoreFixture {
  store: ObjectStore;
  /** The folder the store lives in, for backends that have one (to check nothing leaves it). */
  dir?: string;
  /** The Supabase stand-in behind the store, for backends that have one. */
  standIn?: SupabaseStorageStandIn;
  cleanup(): Promise<void>;
}

const factories: Record<string, () => Promise<StoreFixture>> = {
  async fs() {
    const parent = await mkdtemp(path.join(tmpdir(), 'render-jobs-store-'));
    const dir = path.join(parent, 'jobs');
    return { store: new FsObjectStore(dir), dir, cleanup: () => rm(parent, { recursive: true, force: true }) };
  },
  /** Supabase Storage as hosted today: create-only is atomic. */
  supabase: async () => supabaseFixture({ atomicCreate: true }),
  /** A self-hosted server from before storage-api PR #1392: concurrent creates all "succeed". */
  'supabase-racy': async () => supabaseFixture({ atomicCreate: false }),
  /** Postgres (a fresh schema in TEST_DATABASE_URL), images in a temp folder. */
  postgres: () => postgresFixture(),
  /**
   * The real Supabase Storage server named by SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY (the
   * open-source one in ../shared/supabase-storage, or a hosted project), in a fresh folder of its
   * buckets. `supabase-live` is its older name.
   */
  'supabase-real': realFixture,
  'supabase-live': realFixture,
};

function realServer(): { url: string; key: string; atomicCreate: boolean } {
  const url = process.env.SUPABASE_URL;
  const key = process.env.SUPABASE_SERVICE_ROLE_KEY;
  if (!url || !key) throw new Error('STORE=supabase-real needs SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY (../shared/supabase-storage/run.sh env)');
  return { url, key, atomicCreate: process.env.SUPABASE_ATOMIC_CREATE === 'true' };
}

/** A store on the real server: a server's latency, so a longer timeout than the stand-ins'. */
function realServerStore(server: ReturnType<typeof realServer>, buckets: { jobs: string; assets: string }): SupabaseObjectStore {
  return new SupabaseObjectStore({
    url: server.url,
    serviceRoleKey: server.key,
    bucket: buckets.jobs,
    assetsBucket: buckets.assets,
    atomicCreate: server.atomicCreate,
    requestTimeoutMs: 10_000,
    retries: 3,
  });
}

/**
 * A store on a stand-in: over msw (the default `fetch`), over loopback (`url`), or calling its
 * handler in-process (`fetch`: the same routes and state without HTTP, for benches seeding thousands).
 */
export function standInStore(
  standIn: SupabaseStorageStandIn,
  opts: { url?: string; fetch?: typeof fetch; requestTimeoutMs?: number; retries?: number; serviceRoleKey?: string; bucket?: string } = {},
): SupabaseObjectStore {
  return new SupabaseObjectStore({
    url: opts.url ?? standIn.origin,
    serviceRoleKey: opts.serviceRoleKey ?? SERVICE_ROLE_KEY,
    bucket: opts.bucket ?? 'render-jobs',
    assetsBucket: 'render-assets',
    atomicCreate: standIn.atomicCreate,
    requestTimeoutMs: opts.requestTimeoutMs ?? 2_000,
    retries: opts.retries ?? 3,
    retryBaseMs: 5,
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
  });
}

async function realFixture(): Promise<StoreFixture> {
  const store = realServerStore(realServer(), {
    jobs: process.env.SUPABASE_BUCKET ?? 'render-jobs',
    assets: process.env.SUPABASE_ASSETS_BUCKET ?? 'render-assets',
  });
  const scoped = new PrefixedStore(store, `test-runs/${Date.now()}-${randomUUID().slice(0, 8)}/`);
  return { store: scoped, cleanup: () => scoped.destroy() };
}

export const ALL_STAND_IN_STORES = ['fs', 'supabase', 'supabase-racy', 'postgres'];

/** A Supabase store talking to a fresh stand-in through msw. */
export async function supabaseFixture(
  opts: SupabaseStorageOptions & { retries?: number; requestTimeoutMs?: number; serviceRoleKey?: string; bucket?: string } = {},
): Promise<StoreFixture & { standIn: SupabaseStorageStandIn; store: SupabaseObjectStore }> {
  const standIn = new SupabaseStorageStandIn(opts);
  interceptWith(standIn.handlers);
  const store = standInStore(standIn, opts);
  return { store, standIn, cleanup: async () => undefined };
}

export function storeFactory(name: string): () => Promise<StoreFixture> {
  const make = factories[name];
  if (!make) throw new Error(`no store backend ${name} in the test suite (have: ${Object.keys(factories).join(', ')})`);
  return make;
}

export function selectedStores(): Array<[string, () => Promise<StoreFixture>]> {
  const wanted = (process.env.STORE ?? ALL_STAND_IN_STORES.join(',')).split(',').map((s) => s.trim());
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

export interface ProcessStoreFixture {
  /** The store, as the test process reads it. */
  store: ObjectStore;
  /** What a child process (worker, API) needs in its environment to open the same store. */
  env: Record<string, string>;
  standIn?: SupabaseStorageStandIn;
  cleanup(): Promise<void>;
}

/** What a test may ask of a process backend's setup. */
export interface ProcessStoreOptions {
  /**
   * The assets bucket's own size limit, on backends whose uploads go straight to a bucket (Supabase):
   * there the bucket, not our upload route, refuses an upload that is too large.
   */
  assetsFileSizeLimit?: number;
}

/**
 * Backends for tests with real worker and API processes: msw cannot reach into another process, so
 * the Supabase stand-in is served on a loopback port (the same handlers, over real HTTP).
 */
const processFactories: Record<string, (opts?: ProcessStoreOptions) => Promise<ProcessStoreFixture>> = {
  async fs() {
    const parent = await mkdtemp(path.join(tmpdir(), 'render-jobs-proc-'));
    const dir = path.join(parent, 'jobs');
    return { store: new FsObjectStore(dir), env: { STORE: 'fs', JOBS_DIR: dir }, cleanup: () => rm(parent, { recursive: true, force: true }) };
  },
  supabase: (opts) => servedSupabase({ atomicCreate: true, buckets: standInBuckets(opts) }),
  'supabase-racy': (opts) => servedSupabase({ atomicCreate: false, buckets: standInBuckets(opts) }),
  /** Postgres (a fresh schema in TEST_DATABASE_URL), images in a temp folder. */
  postgres: () => postgresFixture(),
  'supabase-real': realBuckets,
  'supabase-live': realBuckets,
};

function standInBuckets(opts: ProcessStoreOptions = {}): SupabaseStorageOptions['buckets'] {
  return { 'render-jobs': {}, 'render-assets': { fileSizeLimit: opts.assetsFileSizeLimit } };
}

/**
 * The real server for processes: a child opens its store from env, so isolation is a fresh pair
 * of private buckets (SUPABASE_BUCKET / SUPABASE_ASSETS_BUCKET), emptied and deleted afterwards.
 */
async function realBuckets(opts: ProcessStoreOptions = {}): Promise<ProcessStoreFixture> {
  const server = realServer();
  const run = `rt-${Date.now().toString(36)}-${randomUUID().slice(0, 6)}`;
  const buckets = { jobs: run, assets: `${run}-assets` };
  const api = (method: string, path: string, body?: object) =>
    fetch(`${server.url}/storage/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${server.key}`, apikey: server.key, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
  for (const [role, name] of Object.entries(buckets)) {
    const limit = role === 'assets' && opts.assetsFileSizeLimit ? { file_size_limit: opts.assetsFileSizeLimit } : {};
    const res = await api('POST', '/bucket', { id: name, name, public: false, ...limit });
    if (!res.ok) throw new Error(`could not create bucket ${name} on ${server.url}: ${res.status} ${await res.text()}`);
  }
  const env = {
    STORE: 'supabase',
    SUPABASE_URL: server.url,
    SUPABASE_SERVICE_ROLE_KEY: server.key,
    SUPABASE_BUCKET: buckets.jobs,
    SUPABASE_ASSETS_BUCKET: buckets.assets,
    SUPABASE_ATOMIC_CREATE: String(server.atomicCreate),
  };
  const store = realServerStore(server, buckets);
  // Emptying is queued on the server, and a process may still write after its test ended (an inline
  // run charges a job after the job reads as completed): empty again until each bucket goes.
  const cleanup = () =>
    Promise.all(
      Object.values(buckets).map((name) =>
        until(
          async () => {
            await api('POST', `/bucket/${name}/empty`);
            return (await api('DELETE', `/bucket/${name}`)).ok;
          },
          20_000,
          `bucket ${name} deleted`,
        ).catch(() => undefined),
      ),
    ).then(() => undefined);
  return { store, env, cleanup };
}

export async function servedSupabase(opts: SupabaseStorageOptions = {}): Promise<ProcessStoreFixture> {
  const standIn = new SupabaseStorageStandIn(opts);
  const served = await serveHandlers(() => standIn.handlers);
  standIn.setOrigin(served.url);
  const env = {
    STORE: 'supabase',
    SUPABASE_URL: served.url,
    SUPABASE_SERVICE_ROLE_KEY: SERVICE_ROLE_KEY,
    SUPABASE_ATOMIC_CREATE: String(standIn.atomicCreate),
    STORE_TIMEOUT_MS: '2000',
  };
  const store = standInStore(standIn, { url: served.url });
  return { store, env, standIn, cleanup: () => served.close() };
}

export function selectedProcessStores(): Array<[string, (opts?: ProcessStoreOptions) => Promise<ProcessStoreFixture>]> {
  return selectedStores().map(([name]) => [name, processStoreFactory(name)]);
}

export function processStoreFactory(name: string): (opts?: ProcessStoreOptions) => Promise<ProcessStoreFixture> {
  const make = processFactories[name];
  if (!make) throw new Error(`STORE=${name}: no process backend`);
  return make;
}

/** True when the suites run against the real Supabase Storage server (npm run test:real-storage). */
export const onRealServer = ['supabase-real', 'supabase-live'].includes(process.env.STORE ?? '');
