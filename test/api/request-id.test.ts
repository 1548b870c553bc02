// Every answer carries a request id — the caller's `x-request-id` when it sends a sane one, else a
// new one — and the job history entries a request causes record it, on every backend.
import { describe, expect, it } from 'vitest';
import { useInlineApi } from '../helpers/api.js';
import { exampleBody } from '../helpers/concept.js';
import { selectedProcessStores } from '../helpers/stores.js';

for (const [name, make] of selectedProcessStores())
  describe(`request ids (${name})`, () => {
    const fx = useInlineApi({}, make);
    const create = (headers: Record<string, string> = {}) =>
      fetch(`${fx.api.url}/api/jobs/render`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ ...exampleBody, projectId: 'rid' }),
      });

    it("echoes the caller's id and records it on the history entries the request causes", async () => {
      const created = await create({ 'x-request-id': 'req-create-1' });
      expect(created.headers.get('x-request-id')).toBe('req-create-1');
      const { jobId } = (await created.json()) as { jobId: string };
      const cancel = await fetch(`${fx.api.url}/api/jobs/${jobId}/cancel?projectId=rid`, { method: 'POST', headers: { 'x-request-id': 'req-cancel-2' } });
      expect(cancel.headers.get('x-request-id')).toBe('req-cancel-2');
      const { job } = (await cancel.json()) as { job: { status: string; history: Array<{ type: string; requestId: string | null }> } };
      expect(job.status).toBe('cancelled');
      expect(job.history.map((h) => [h.type, h.requestId])).toEqual([
        ['created', 'req-create-1'],
        ['cancelled', 'req-cancel-2'],
      ]);
    });

    it('makes one when none (or a malformed one) is sent, on errors too', async () => {
      const plain = await fetch(`${fx.api.url}/api/jobs?projectId=rid`);
      expect(plain.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      const bad = await fetch(`${fx.api.url}/api/jobs/nope?projectId=rid`, { headers: { 'x-request-id': 'no spaces <allowed>' } });
      expect(bad.status).toBe(404);
      expect(bad.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    });
  });
