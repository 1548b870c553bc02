// `render-jobs migrate` (and `--from-bucket`) and doctor's Postgres checks, against a real (throwaway) database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPostgres, poolerMode } from '../../cli/postgres.js';
import { copyStore } from '../../cli/copy-store.js';
import { loadConfig } from '../../shared/config.js';
import { enqueueJob } from '../../shared/queue/enqueue.js';
import { readJob } from '../../shared/job/job-docs.js';
import { FsObjectStore } from '../../shared/store/fs-store.js';
import { keys } from '../../shared/store/keys.js';
import { smallRequest } from '../helpers/concept.js';
import { testDeps } from '../helpers/deps.js';
import { tempDir } from '../helpers/stores.js';
import { type PostgresFixture, postgresFixture } from '../helpers/postgres.js';

describe('doctor on a Postgres store', () => {
  let fx: PostgresFixture;
  beforeAll(async () => {
    fx = await postgresFixture();
  });
  afterAll(() => fx?.cleanup());

  it('tells which pooler each Supabase connection string goes through', () => {
    expect(poolerMode('postgres://u:p@aws-0-eu-central-1.pooler.supabase.com:6543/postgres')).toBe('transaction pooler');
    expect(poolerMode('postgres://u:p@aws-0-eu-central-1.pooler.supabase.com:5432/postgres')).toBe('session pooler');
    expect(poolerMode('postgres://u:p@db.abcdefghij.supabase.co:5432/postgres')).toBe('direct');
  });

  it('listens on the session pooler when only the transaction pooler is configured', () => {
    const c = loadConfig({ STORE: 'postgres', DATABASE_URL: 'postgres://u:p@aws-0-eu-central-1.pooler.supabase.com:6543/postgres' });
    expect(c.store).toMatchObject({
      kind: 'postgres',
      listenUrl: 'postgres://u:p@aws-0-eu-central-1.pooler.supabase.com:5432/postgres',
      assets: { kind: 'fs' },
    });
  });

  it('passes a migrated schema with a NOTIFY round trip, and fails an unmigrated one naming the fix', async () => {
    const config = loadConfig({ STORE: 'postgres', DATABASE_URL: fx.url, DATABASE_SCHEMA: fx.schema });
    const good = await checkPostgres(config.store as never, fx.store);
    expect(good.map((c) => [c.name, c.status])).toEqual([
      ['DATABASE_URL', 'ok'],
      ['DATABASE_LISTEN_URL', 'ok'],
      ['schema', 'ok'],
      ['notify', 'ok'],
    ]);
    const bad = await checkPostgres({ ...(config.store as never as object), schema: 'not_migrated_here' } as never, fx.store);
    expect(bad.find((c) => c.name === 'schema')).toMatchObject({ status: 'fail', detail: expect.stringContaining('render-jobs migrate') });
  });
});

describe('render-jobs migrate --from-bucket', () => {
  let fx: PostgresFixture;
  beforeAll(async () => {
    fx = await postgresFixture();
  });
  afterAll(() => fx?.cleanup());

  it('copies jobs, markers, leases and records (not slots), twice without harm, never overwriting', async () => {
    const { dir, cleanup } = await tempDir();
    const bucket = new FsObjectStore(dir);
    const job = await enqueueJob(testDeps(bucket), smallRequest('moved'));
    await bucket.put(keys.lease(job.jobId, 1), 'token');
    await bucket.put(keys.slot('global', 1, 1, 'h'), 'held');
    expect(await copyStore(bucket, fx.store)).toEqual({ copied: 3, present: 0 });
    expect(await readJob(fx.store, job.projectId, job.jobId)).toEqual(await readJob(bucket, job.projectId, job.jobId));
    expect((await fx.store.list('queue/')).items.map((i) => i.name)).toEqual((await bucket.list('queue/')).items.map((i) => i.name));
    expect(await fx.store.list(keys.slotFolder('global'))).toEqual({ items: [], cursor: null });

    await fx.store.put(keys.lease(job.jobId, 1), 'written in postgres since');
    const later = await enqueueJob(testDeps(bucket), smallRequest('moved'));
    expect(await copyStore(bucket, fx.store)).toEqual({ copied: 2, present: 3 });
    expect((await fx.store.get(keys.lease(job.jobId, 1)))?.body.toString()).toBe('written in postgres since');
    expect(await readJob(fx.store, later.projectId, later.jobId)).not.toBeNull();
    await cleanup();
  });
});
