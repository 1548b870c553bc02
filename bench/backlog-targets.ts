// What the backlog and drain benchmarks run on: the stores (fs, the Supabase stand-in with 40 ms per
// request, the real Supabase Storage server when SUPABASE_URL is set), each with the env a worker
// process needs to reach it, and the helpers that seed and read thousands of jobs.
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { loadConfig } from '../shared/config.js';
import type { JobDocument } from '../shared/job/document.js';
import { readJob } from '../shared/job/job-docs.js';
import type { RenderRequest } from '../shared/job/request.js';
import type { QueueDeps } from '../shared/queue/deps.js';
import { enqueueJob } from '../shared/queue/enqueue.js';
import { FsObjectStore } from '../shared/store/fs-store.js';
import type { ObjectStore } from '../shared/store/object-store.js';
import { smallRequest } from '../test/helpers/concept.js';
import { processStoreFactory, servedSupabase, standInStore } from '../test/helpers/stores.js';
import { benchDir } from './env.js';

export const log = pino({ level: 'silent' });
export const POLL_MS = 1000;

export function request(projectId: string): RenderRequest {
  return smallRequest(projectId);
}

export function depsOf(store: ObjectStore): QueueDeps {
  const config = loadConfig({ NODE_ENV: 'test', MAX_RUNNING: '0', MAX_RUNNING_PER_OWNER: '1', POLL_INTERVAL_MS: String(POLL_MS), WORKER_CONCURRENCY: '4' });
  return { store, queue: config.queue, log, now: Date.now };
}

export interface Target {
  name: string;
  /** The store the worker and the API use: what is measured. */
  store: ObjectStore;
  /**
   * The same objects, reached with fewer hops where that is possible (the stand-in's handler called
   * in-process rather than over loopback HTTP): for seeding thousands of jobs and for the bench's
   * own reads, neither of which is measured.
   */
  direct: ObjectStore;
  /** What a worker process needs in its env to use `store`. */
  env: Record<string, string>;
  /** Storage latency off while seeding, on while measuring. */
  latency?(on: boolean): void;
  cleanup(): Promise<void>;
}

export async function fsTarget(): Promise<Target> {
  const tmp = await benchDir();
  const store = new FsObjectStore(tmp.dir);
  return { name: 'fs', store, direct: store, env: { STORE: 'fs', JOBS_DIR: tmp.dir }, cleanup: tmp.cleanup };
}

export async function standInTarget(): Promise<Target> {
  const served = await servedSupabase({ atomicCreate: true });
  const standIn = served.standIn!;
  // The stand-in's own handler, as msw would call it in a test: the same routes and state, without
  // loopback HTTP and msw's matching (most of a request's CPU in this process).
  const direct = standInStore(standIn, {
    fetch: async (input, init) => (await standIn.handle(new Request(input, init))) ?? new Response(null, { status: 404 }),
  });
  return {
    name: 'supabase stand-in, 40 ms',
    store: served.store,
    direct,
    env: served.env,
    latency: (on) => void (standIn.latencyMs = on ? 40 : 0),
    cleanup: served.cleanup,
  };
}

export async function realTarget(): Promise<Target | null> {
  if (!process.env.SUPABASE_URL || !process.env.SUPABASE_SERVICE_ROLE_KEY) return null;
  // A fresh pair of buckets (as the real-server suites use): nothing else in the listings, and
  // emptied by the server in one request afterwards instead of 60,000 deletes.
  const fx = await processStoreFactory('supabase-real')();
  return { name: 'real Supabase Storage', store: fx.store, direct: fx.store, env: fx.env, cleanup: fx.cleanup };
}

/** Creates in flight at once while seeding: a server answers each in tens of ms, so one at a time is minutes. */
export const SEED_IN_FLIGHT = Number(process.env.SEED_IN_FLIGHT ?? 48);

/**
 * `count` jobs created as the API creates them (enqueueJob: marker and owner entry, then the
 * document), `SEED_IN_FLIGHT` at a time. Returned in creation order: each create takes its time and
 * id before its first await, so call order is creation order.
 */
export async function seed(store: ObjectStore, count: number, ownerOf: (i: number) => string, projectId = 'hog'): Promise<JobDocument[]> {
  const deps = depsOf(store);
  const made = new Array<JobDocument>(count);
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < count; i = next++) made[i] = await enqueueJob(deps, request(projectId), { ownerId: ownerOf(i) });
  };
  await Promise.all(Array.from({ length: Math.min(SEED_IN_FLIGHT, count) }, lane));
  return made;
}

/** Reads every job's document, a bounded number at a time (20,000 at once would time out on a server). */
export async function readAll(store: ObjectStore, jobs: JobDocument[]): Promise<Array<JobDocument | null>> {
  const docs = new Array<JobDocument | null>(jobs.length);
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < jobs.length; i = next++) docs[i] = await readJob(store, jobs[i]!.projectId, jobs[i]!.jobId);
  };
  await Promise.all(Array.from({ length: Math.min(SEED_IN_FLIGHT, jobs.length) }, lane));
  return docs;
}

export async function waitFor(store: ObjectStore, job: JobDocument, done: (d: JobDocument) => boolean, timeoutMs = 60_000, everyMs = 10): Promise<JobDocument> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const doc = await readJob(store, job.projectId, job.jobId);
    if (doc && done(doc)) return doc;
    if (Date.now() > deadline) throw new Error(`job ${job.jobId} not started within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

export const startedAfterCreate = (d: JobDocument) => Date.parse(d.attempts[0]!.startedAt) - Date.parse(d.createdAt);

/** The targets named in a comma-separated list (`fs,standin,real`). */
export function pickTargets(names: string): Array<() => Promise<Target | null>> {
  const all: Record<string, () => Promise<Target | null>> = { fs: fsTarget, standin: standInTarget, real: realTarget };
  return names
    .split(',')
    .filter((n) => n.trim() !== '')
    .map((n) => {
      const make = all[n.trim()];
      if (!make) throw new Error(`no store ${n} (have: ${Object.keys(all).join(', ')})`);
      return make;
    });
}
