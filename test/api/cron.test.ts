// The cron route as Vercel calls it: GET with `Authorization: Bearer $CRON_SECRET`, on every backend.
import { describe, expect, it } from 'vitest';
import { useInlineApi } from '../helpers/api.js';
import { selectedProcessStores } from '../helpers/stores.js';

const SECRET = 'cron-secret-0123456789';

for (const [name, make] of selectedProcessStores()) {
  describe(`GET /api/cron/prune (${name})`, () => {
    const fx = useInlineApi({ CRON_SECRET: SECRET }, make);

    it.each([
      ['no credential', undefined, 401],
      ['a wrong secret', 'Bearer not-the-secret-at-all', 401],
      ['the secret without "Bearer"', SECRET, 401],
      ['the right secret', `Bearer ${SECRET}`, 200],
    ])('answers %s with %i', async (_label, authorization, status) => {
      const res = await fetch(`${fx.api.url}/api/cron/prune`, { headers: authorization ? { authorization } : {} });
      expect(res.status).toBe(status);
      const body = (await res.json()) as Record<string, unknown>;
      if (status === 200) expect(body).toMatchObject({ pruned: 0, cutShort: false, retentionDays: 7 });
      else expect(body).toMatchObject({ error: { code: 'unauthorized' } });
    });
  });
}
