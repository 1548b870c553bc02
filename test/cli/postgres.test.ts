// `render-jobs migrate` and doctor's Postgres checks, against a real (throwaway) database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPostgres, poolerMode } from '../../cli/postgres.js';
import { loadConfig } from '../../shared/config.js';
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
    expect(c.store).toMatchObject({ kind: 'postgres', listenUrl: 'postgres://u:p@aws-0-eu-central-1.pooler.supabase.com:5432/postgres', assets: { kind: 'fs' } });
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
