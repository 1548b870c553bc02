// How fast a finished render reaches the person waiting: client-observed completion time ÷ the
// renderer's own time, over Server-Sent Events and over polling (the SDK's two modes), the HTTP
// requests each costs per job, and what an open event stream costs the store.
import type { AddressInfo } from 'node:net';
import { createContext } from '../shared/use-cases/context.js';
import { createClient, type CreateRequest } from '../client/index.js';
import { loadConfig } from '../shared/config.js';
import { createLogger } from '../shared/logger.js';
import { CountingStore } from '../shared/store/counting-store.js';
import { createApiApp } from '../server/app.js';
import { startWorker, stop } from '../scripts/processes.js';
import { benchDir, exampleBody } from './env.js';
import { summarize } from './stats.js';

async function startCountingApi(env: Record<string, string>) {
  const config = loadConfig({ ...env, LOG_LEVEL: 'silent' });
  const ctx = createContext(config, createLogger({ level: 'silent', name: 'bench-api' }));
  const counting = new CountingStore(ctx.store);
  const counted = { ...ctx, store: counting, queue: { ...ctx.queue, store: counting } };
  const server = (await createApiApp(counted)).listen(0, '127.0.0.1');
  await new Promise<void>((r) => server.once('listening', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counting,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export async function deliveryRatio(opts: { jobs: number; renderMs: number }) {
  const tmp = await benchDir();
  const env = { JOBS_DIR: tmp.dir, RENDERER: 'stub', RENDER_DELAY_MS: String(opts.renderMs), POLL_INTERVAL_MS: '1000' };
  const worker = await startWorker(env);
  const api = await startCountingApi({ ...env, WORKER_URL: worker.url });
  const body = JSON.parse(await exampleBody()) as CreateRequest;
  const results: Record<
    string,
    { ratio: ReturnType<typeof summarize>; overheadMs: ReturnType<typeof summarize>; requestsPerJob: number; storeGetsPerJob: number }
  > = {};
  for (const mode of ['sse', 'polling'] as const) {
    let requests = 0;
    const counting: typeof fetch = (input, init) => {
      requests += 1;
      return fetch(input, init);
    };
    const client = createClient({ baseUrl: api.url, sse: mode === 'sse', fetch: counting });
    const ratios: number[] = [];
    const overheads: number[] = [];
    const getsBefore = api.counting.counts.get;
    for (let i = 0; i < opts.jobs; i++) {
      const t0 = performance.now();
      const job = await client.jobs.createAndWait(body, { maxWaitMs: 60_000 });
      const observed = performance.now() - t0;
      const renderMs = job.result!.timings.renderMs;
      ratios.push(observed / renderMs);
      overheads.push(observed - renderMs);
    }
    results[mode] = {
      ratio: summarize(ratios),
      overheadMs: summarize(overheads),
      requestsPerJob: requests / opts.jobs,
      storeGetsPerJob: (api.counting.counts.get - getsBefore) / opts.jobs,
    };
  }
  await api.close();
  await stop(worker);
  await tmp.cleanup();
  return results;
}

/** Store reads per second per open event stream, for jobs that stay pending (no worker). */
export async function streamCost(opts: { streams: number; seconds: number }) {
  const tmp = await benchDir();
  const api = await startCountingApi({ JOBS_DIR: tmp.dir, WORKER_URL: 'none', FUNCTION_BUDGET_MS: String((opts.seconds + 2) * 1000) });
  const client = createClient({ baseUrl: api.url, projectId: 'bench' });
  const body = JSON.parse(await exampleBody()) as CreateRequest;
  const jobs = await Promise.all(Array.from({ length: opts.streams }, () => client.jobs.create(body)));
  const before = { ...api.counting.counts };
  const abort = new AbortController();
  const streams = jobs.map((j) =>
    fetch(`${api.url}${j.eventsUrl}`, { signal: abort.signal })
      .then((r) => r.text())
      .catch(() => ''),
  );
  await new Promise((r) => setTimeout(r, opts.seconds * 1000));
  abort.abort();
  await Promise.all(streams);
  const gets = api.counting.counts.get - before.get;
  const lists = api.counting.counts.list - before.list;
  await api.close();
  await tmp.cleanup();
  return { getsPerStreamPerSecond: gets / opts.streams / opts.seconds, listsPerSecond: lists / opts.seconds };
}
