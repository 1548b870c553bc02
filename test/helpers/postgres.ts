// STORE=postgres fixtures: a fresh schema per fixture in the database of TEST_DATABASE_URL (started
// by test/helpers/postgres-setup.ts when unset), images in a fresh temp folder.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { FsObjectStore } from '../../shared/store/fs-store.js';
import { PostgresObjectStore } from '../../shared/store/postgres-store.js';
import { migrate } from '../../shared/store/postgres/schema.js';
import { startCluster } from '../../scripts/postgres-cluster.js';

let own: Promise<string> | undefined;

/** TEST_DATABASE_URL (CI, or the global setup), else a cluster of this test file's own. */
export function testDatabaseUrl(): Promise<string> {
  const url = process.env.TEST_DATABASE_URL;
  if (url) return Promise.resolve(url);
  own ??= startCluster().then((cluster) => {
    process.once('exit', () => cluster.stop());
    process.env.TEST_DATABASE_URL = cluster.url;
    return cluster.url;
  });
  return own;
}

export interface PostgresFixture {
  store: PostgresObjectStore;
  url: string;
  schema: string;
  assetsDir: string;
  /** What a child process needs in its environment to open the same store. */
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

export async function postgresFixture(opts: { poolMax?: number; retries?: number } = {}): Promise<PostgresFixture> {
  const url = await testDatabaseUrl();
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const parent = await mkdtemp(path.join(tmpdir(), 'render-jobs-pg-'));
  const assetsDir = path.join(parent, 'assets');
  const store = new PostgresObjectStore({
    url,
    schema,
    poolMax: opts.poolMax ?? 4,
    timeoutMs: 5_000,
    retries: opts.retries ?? 3,
    retryBaseMs: 5,
    assets: new FsObjectStore(assetsDir),
  });
  const client = await store.client();
  try {
    await migrate(client, schema);
  } finally {
    client.release();
  }
  return {
    store,
    url,
    schema,
    assetsDir,
    env: { STORE: 'postgres', DATABASE_URL: url, DATABASE_SCHEMA: schema, JOBS_DIR: assetsDir },
    async cleanup() {
      const c = await store.client();
      await c.query(`drop schema if exists "${schema}" cascade`).finally(() => c.release());
      await store.close();
      await rm(parent, { recursive: true, force: true });
    },
  };
}
