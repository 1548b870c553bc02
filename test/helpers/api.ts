// The API server in-process, on a real loopback socket, over its own store folder.
import type { AddressInfo } from 'node:net';
import { createContext, type AppContext } from '../../shared/use-cases/context.js';
import { loadConfig } from '../../shared/config.js';
import { afterAll, beforeAll } from 'vitest';
import { type Proc, startWorker, stop } from '../../scripts/processes.js';
import { createApiApp } from '../../server/app.js';
import { type ProcessStoreFixture, processStoreFactory } from './stores.js';
import { silentLog } from './deps.js';

export interface ApiFixture {
  url: string;
  ctx: AppContext;
  close(): Promise<void>;
}

export async function startApi(env: Record<string, string>): Promise<ApiFixture> {
  const config = loadConfig({ NODE_ENV: 'test', HEARTBEAT_MS: '100', LEASE_MS: '3000', ...env });
  const ctx = createContext(config, silentLog);
  const app = await createApiApp(ctx);
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    ctx,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Stops the API's clock at the middle of the current minute: per-minute limits count in fixed
 * windows, and a test must not see its window roll over half way.
 */
export function holdClockMidMinute(api: ApiFixture): void {
  const mid = Math.floor(Date.now() / 60_000) * 60_000 + 30_000;
  (api.ctx.queue as { now: () => number }).now = () => mid;
}

/** Polls the job until `done` holds; real waits on real state, bounded. */
export async function waitForJob(
  api: ApiFixture,
  projectId: string,
  jobId: string,
  done: (job: { status: string; [k: string]: unknown }) => boolean,
  timeoutMs = 15_000,
): Promise<Record<string, any>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${api.url}/api/jobs/${jobId}?projectId=${projectId}`);
    const body = (await res.json()) as { job: { status: string } };
    if (done(body.job)) return body.job;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${body.job.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A backend of test/helpers/stores.ts, fs unless a test names another. */
type Backend = () => Promise<ProcessStoreFixture>;
const fsBackend: Backend = () => processStoreFactory('fs')();

export interface BlockFixture {
  readonly api: ApiFixture;
  /** The backend's store, as the test process reads it, and what a process needs to open it. */
  readonly fx: ProcessStoreFixture;
  /** The store folder (fs). */
  readonly dir: string;
}

/**
 * For the enclosing block: a fresh store of the backend, a real worker process on it, and the API
 * in-process poking that worker; all stopped after. `env` goes to both.
 */
export function useWorkerAndApi(env: Record<string, string>, backend: Backend = fsBackend): BlockFixture {
  let worker: Proc | undefined;
  return useBlock(
    backend,
    async (fx) => {
      worker = await startWorker({ ...fx.env, ...env });
      return startApi({ ...fx.env, ...env, WORKER_URL: worker.url });
    },
    async () => {
      if (worker) await stop(worker);
    },
  );
}

/** For the enclosing block: the API in-process over a fresh store of the backend, running jobs inline (no worker). */
export function useInlineApi(env: Record<string, string> = {}, backend: Backend = fsBackend): BlockFixture {
  return useBlock(backend, (fx) => startApi({ ...fx.env, WORKER_URL: 'none', ...env }));
}

function useBlock(backend: Backend, start: (fx: ProcessStoreFixture) => Promise<ApiFixture>, stopMore?: () => Promise<void>): BlockFixture {
  let fx: ProcessStoreFixture | undefined;
  let api: ApiFixture | undefined;
  beforeAll(async () => {
    fx = await backend();
    api = await start(fx);
  });
  afterAll(async () => {
    await api?.close();
    await stopMore?.();
    await fx?.cleanup();
  });
  const used = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('used outside a test');
    return value;
  };
  return {
    get api() {
      return used(api);
    },
    get fx() {
      return used(fx);
    },
    get dir() {
      return used(used(fx).env.JOBS_DIR);
    },
  };
}
