// A missing or misnamed bucket stops the worker and the API at start, naming the bucket, and makes
// the first listing of a function instance fail: never an empty queue that looks like no work.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext } from '../../shared/use-cases/context.js';
import { loadConfig } from '../../shared/config.js';
import { StoreMisconfiguredError } from '../../shared/errors.js';
import { startApiProcess, startWorker } from '../../scripts/processes.js';
import { type ProcessStoreFixture, servedSupabase } from '../helpers/stores.js';
import { silentLog } from '../helpers/deps.js';

describe('a misnamed bucket', () => {
  let fx: ProcessStoreFixture;
  beforeAll(async () => {
    fx = await servedSupabase();
  });
  afterAll(() => fx.cleanup());

  it('stops the worker at start with an error naming the bucket', async () => {
    const err = await startWorker({ ...fx.env, SUPABASE_BUCKET: 'render-jobz' }).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/exited \(1\)/);
    expect((err as Error).message).toMatch(/no bucket "render-jobz" \(SUPABASE_BUCKET\)/);
  });

  it('stops the local API server at start the same way', async () => {
    const err = await startApiProcess({ ...fx.env, SUPABASE_ASSETS_BUCKET: 'render-assetz', WORKER_URL: 'none' }).catch((e: unknown) => e as Error);
    expect((err as Error).message).toMatch(/no bucket "render-assetz" \(SUPABASE_ASSETS_BUCKET\)/);
  });

  it('fails a function instance’s listings, at no extra latency, and checks once', async () => {
    const ctx = createContext(loadConfig({ ...fx.env, SUPABASE_BUCKET: 'render-jobz', WORKER_URL: 'none' }), silentLog);
    await expect(ctx.store.list('queue/')).rejects.toBeInstanceOf(StoreMisconfiguredError);
    await expect(ctx.store.delete('cancel/x')).rejects.toThrow(/render-jobz/);

    const good = createContext(loadConfig({ ...fx.env, WORKER_URL: 'none' }), silentLog);
    fx.standIn!.resetCounts();
    for (let i = 0; i < 3; i++) await good.store.list('queue/');
    expect([fx.standIn!.counts.list, fx.standIn!.counts.bucket]).toEqual([3, 2]);
  });

  it('starts the worker when both buckets exist', async () => {
    const worker = await startWorker(fx.env);
    worker.child.kill('SIGKILL');
    await worker.exited;
  });
});
