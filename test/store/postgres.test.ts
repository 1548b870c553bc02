// What the Postgres store adds to the conformance suite: byte-order listings beside names that
// other stores confuse, the migration run twice, and the notifications a watcher gets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { markerKeyOf, putMarker } from '../../shared/queue/markers.js';
import { keys } from '../../shared/store/keys.js';
import { migrate, schemaVersion, SCHEMA_VERSION } from '../../shared/store/postgres/schema.js';
import { createPool } from '../../shared/store/postgres/sql.js';
import { type PostgresFixture, postgresFixture, testDatabaseUrl } from '../helpers/postgres.js';
import { until } from '../helpers/wait.js';

const log = pino({ level: 'silent' });

describe('PostgresObjectStore', () => {
  let fx: PostgresFixture;
  beforeAll(async () => {
    fx = await postgresFixture();
  });
  afterAll(() => fx?.cleanup());

  it('lists case-sensitively in byte order, and folders in name order', async () => {
    for (const k of ['cs/B', 'cs/a', 'cs/A', 'cs/b', 'cf/p1-x/o', 'cf/p1/o', 'cf/P2/o', 'cf/p1.y/o']) await fx.store.put(k, k);
    expect((await fx.store.list('cs/')).items.map((i) => i.name)).toEqual(['A', 'B', 'a', 'b']);
    expect((await fx.store.listFolders('cf/')).items.map((i) => i.name)).toEqual(['P2', 'p1', 'p1-x', 'p1.y']);
    const first = await fx.store.listFolders('cf/', { limit: 2 });
    expect(first.items.map((i) => i.name)).toEqual(['P2', 'p1']);
    expect((await fx.store.listFolders('cf/', { limit: 2, cursor: first.cursor })).items.map((i) => i.name)).toEqual(['p1-x', 'p1.y']);
  });

  it('keeps images in the assets store, not in the table', async () => {
    await fx.store.put(keys.result('p', 'j', 'png'), Buffer.from('png'), { contentType: 'image/png' });
    const c = await fx.store.client();
    const { rows } = await c.query(`select key from "${fx.schema}".objects where key like 'results/%'`).finally(() => c.release());
    expect(rows).toEqual([]);
    expect((await fx.store.get(keys.result('p', 'j', 'png')))?.body.toString()).toBe('png');
  });

  it('migrates again without harm and reports its version', async () => {
    const c = await fx.store.client();
    try {
      expect(await migrate(c, fx.schema)).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION });
      expect(await schemaVersion(c, fx.schema)).toBe(SCHEMA_VERSION);
      expect(await schemaVersion(c, 'never_migrated')).toBeNull();
    } finally {
      c.release();
    }
  });

  it('tells a watcher about a new job (with its id) and a job back in the queue, and not about progress', async () => {
    const seen: Array<string> = [];
    const watcher = fx.store.watch((job) => seen.push(job ? `${job.projectId}/${job.jobId}` : 'scan'), log);
    await until(() => watcher.state === 'listening', 5_000, 'listening');
    await until(() => seen.length === 1, 5_000, 'the wake-up on connect');
    const doc = (runAfter: string) => JSON.stringify({ jobId: 'j1', projectId: 'proj', runAfter, progress: 0 });
    await putMarker(fx.store, markerKeyOf({ projectId: 'proj', jobId: 'j1', ownerId: null }, Date.now(), 'p'), 'proj'); // before its document: no word
    await fx.store.put(keys.job('proj', 'j1'), doc(new Date().toISOString()), { createOnly: true });
    await until(() => seen.length === 2, 5_000, 'the new job');
    await fx.store.put(keys.job('proj', 'j1'), doc(new Date().toISOString())); // progress: no word
    await putMarker(fx.store, markerKeyOf({ projectId: 'proj', jobId: 'j1', ownerId: null }, Date.now() + 300, 'p'), 'proj'); // a retry, due in 300 ms
    await putMarker(fx.store, markerKeyOf({ projectId: 'proj', jobId: 'j1', ownerId: null }, Date.now() + 60_000, 'r'), 'proj'); // claimed: no word
    const at = Date.now();
    await until(() => seen.length === 3, 5_000, 'the retry, on time');
    expect(Date.now() - at).toBeGreaterThanOrEqual(250);
    expect(seen).toEqual(['scan', 'proj/j1', 'scan']);
    await watcher.stop();
  });
});

describe('createPool', () => {
  it('survives an idle connection terminated by the server (57P01), tells onIdleError, and answers on a new one', async () => {
    const url = await testDatabaseUrl();
    const idleErrors: Array<Error & { code?: string }> = [];
    const pool = await createPool({ url, max: 1, timeoutMs: 10_000, name: 'render-jobs idle-drop test', onIdleError: (err) => idleErrors.push(err) });
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      const { rows } = await pool.query<{ pid: number }>('select pg_backend_pid() as pid');
      const killer = await createPool({ url, max: 1, timeoutMs: 10_000, name: 'render-jobs idle-drop killer' });
      await killer.query('select pg_terminate_backend($1)', [rows[0]!.pid]).finally(() => killer.end());
      await until(() => idleErrors.length > 0, 5_000, 'the pool told of its dropped connection');
      expect(idleErrors[0]?.code).toBe('57P01');
      expect((await pool.query<{ ok: number }>('select 1 as ok')).rows).toEqual([{ ok: 1 }]);
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
      await pool.end();
    }
  });
});
