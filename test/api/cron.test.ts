// The cron route as Vercel calls it: GET with `Authorization: Bearer $CRON_SECRET`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiFixture, startApi } from '../helpers/api.js';
import { tempDir } from '../helpers/stores.js';

const SECRET = 'cron-secret-0123456789';

describe('GET /api/cron/prune', () => {
  let api: ApiFixture;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    const tmp = await tempDir();
    cleanup = tmp.cleanup;
    api = await startApi({ JOBS_DIR: tmp.dir, CRON_SECRET: SECRET });
  });
  afterAll(async () => {
    await api.close();
    await cleanup();
  });

  it.each([
    ['no credential', undefined, 401],
    ['a wrong secret', 'Bearer not-the-secret-at-all', 401],
    ['the secret without "Bearer"', SECRET, 401],
    ['the right secret', `Bearer ${SECRET}`, 200],
  ])('answers %s with %i', async (_label, authorization, status) => {
    const res = await fetch(`${api.url}/api/cron/prune`, { headers: authorization ? { authorization } : {} });
    expect(res.status).toBe(status);
    const body = (await res.json()) as Record<string, unknown>;
    if (status === 200) expect(body).toMatchObject({ pruned: 0, cutShort: false, retentionDays: 7 });
    else expect(body).toMatchObject({ error: { code: 'unauthorized' } });
  });
});
