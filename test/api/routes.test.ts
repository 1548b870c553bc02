// Every route over real HTTP on loopback, with the job run inline (no worker configured), on every
// backend: the filesystem store and the Supabase stand-ins served over real HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleBody } from '../helpers/concept.js';
import { type ApiFixture, startApi, waitForJob } from '../helpers/api.js';
import { type ProcessStoreFixture, selectedProcessStores } from '../helpers/stores.js';

const post = (url: string, body?: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });

async function createIn(api: ApiFixture, projectId = 'arch-1') {
  const res = await post(`${api.url}/api/jobs/render`, { ...exampleBody, projectId });
  expect(res.status).toBe(202);
  return (await res.json()) as Record<string, string>;
}

for (const [name, make] of selectedProcessStores()) {
  describe(`the job lifecycle over HTTP (${name})`, () => {
    let api: ApiFixture;
    let fx: ProcessStoreFixture;

    beforeAll(async () => {
      fx = await make();
      api = await startApi({ ...fx.env, WORKER_URL: 'none', RENDER_DELAY_MS: '300' });
    });
    afterAll(async () => {
      await api?.close();
      await fx?.cleanup();
    });

    const create = (projectId?: string) => createIn(api, projectId);

    it('creates, processes inline, polls with ETag/304, and serves the image', async () => {
      const started = Date.now();
      const created = await create();
      expect(Date.now() - started).toBeLessThan(1000);
      expect(created).toMatchObject({ status: 'pending', projectId: 'arch-1' });
      expect(created.conceptId).toMatch(/^c_[0-9a-f]{20}$/);
      for (const k of ['pollUrl', 'processUrl', 'eventsUrl', 'cancelUrl']) expect(created[k]).toContain(created.jobId);

      const first = await fetch(api.url + created.pollUrl);
      expect(first.status).toBe(200);
      expect(first.headers.get('x-poll-after-ms')).toBe('1000');
      const etag = first.headers.get('etag')!;
      expect(((await first.json()) as any).job).toMatchObject({ jobId: created.jobId, status: 'pending', progress: 0, imageUrl: null, error: null });
      const unchanged = await fetch(api.url + created.pollUrl, { headers: { 'if-none-match': etag } });
      expect(unchanged.status).toBe(304);

      const processed = await post(api.url + created.processUrl);
      expect(processed.status).toBe(202);
      expect(await processed.json()).toMatchObject({ status: 'processing', handledBy: 'inline' });
      // Calling it again while the job runs is a harmless 202.
      expect((await post(api.url + created.processUrl)).status).toBe(202);

      const done = await waitForJob(api, 'arch-1', created.jobId!, (j) => j.status === 'completed');
      expect(done).toMatchObject({ progress: 100, attempt: 1, error: null });
      expect((await fetch(api.url + created.pollUrl, { headers: { 'if-none-match': etag } })).status).toBe(200);

      // On disk the API serves the image; a bucket signs a URL that serves it.
      const image = await fetch(new URL(done.imageUrl, api.url));
      expect(image.status).toBe(200);
      expect(image.headers.get('content-type')).toBe('image/png');
      const bytes = Buffer.from(await image.arrayBuffer());
      expect(bytes.subarray(1, 4).toString()).toBe('PNG');
      expect(bytes.readUInt32BE(16)).toBe(1200); // width from the concept's view
      expect(bytes.readUInt32BE(20)).toBe(900);
      // And it is the very object the store holds.
      expect(bytes.equals((await fx.store.get(done.result.key))!.body)).toBe(true);
    });

    it('lists a project newest first, paged', async () => {
      const ids = [(await create('list-p')).jobId, (await create('list-p')).jobId, (await create('list-p')).jobId];
      const page1 = (await (await fetch(`${api.url}/api/jobs?projectId=list-p&limit=2`)).json()) as { jobs: Array<{ jobId: string }>; next: string };
      expect(page1.jobs.map((j) => j.jobId)).toEqual([ids[2], ids[1]]);
      expect(page1.next).toBeTruthy();
      const page2 = (await (await fetch(`${api.url}/api/jobs?projectId=list-p&limit=2&cursor=${page1.next}`)).json()) as {
        jobs: Array<{ jobId: string }>;
        next: string | null;
      };
      expect(page2.jobs.map((j) => j.jobId)).toEqual([ids[0]]);
      expect(page2.next).toBeNull();
      const bad = await fetch(`${api.url}/api/jobs?projectId=list-p&limit=2&cursor=bm90LWEtY3Vyc29y`);
      expect(bad.status).toBe(400);
      // The cursor tells nothing (not the last job's id) and is good for its own project only.
      expect(Buffer.from(page1.next, 'base64url').toString('latin1')).not.toContain(ids[1]);
      expect((await fetch(`${api.url}/api/jobs?projectId=other-p&limit=2&cursor=${page1.next}`)).status).toBe(400);
      expect(await (await fetch(`${api.url}/api/jobs?projectId=empty-project`)).json()).toEqual({ jobs: [], next: null });
    });

    it('cancels a pending job, and processing it afterwards is a harmless 202', async () => {
      const created = await create('cancel-p');
      const res = await post(api.url + created.cancelUrl);
      expect(res.status).toBe(200);
      expect(((await res.json()) as any).job).toMatchObject({ status: 'cancelled', jobId: created.jobId });
      const processed = await post(api.url + created.processUrl);
      expect(processed.status).toBe(202);
      expect(((await processed.json()) as any).status).toBe('cancelled');
      expect(((await (await fetch(api.url + created.pollUrl)).json()) as any).job.status).toBe('cancelled');
    });

    it('cancels a running job', async () => {
      const created = await create('cancel-run');
      await post(api.url + created.processUrl);
      await waitForJob(api, 'cancel-run', created.jobId!, (j) => j.status === 'processing');
      const res = await post(api.url + created.cancelUrl);
      expect(res.status).toBe(200);
      const job = await waitForJob(api, 'cancel-run', created.jobId!, (j) => j.status !== 'processing');
      expect(job.status).toBe('cancelled');
    });

    it('answers 404 for an unknown job and for a job asked for under another project', async () => {
      const created = await create('owner-p');
      for (const url of [
        `${api.url}/api/jobs/${created.jobId}?projectId=other-p`,
        `${api.url}/api/jobs/zzzzzzzzzz0000000000000000000000000?projectId=owner-p`,
        `${api.url}/api/jobs/${created.jobId}/image?projectId=other-p`,
      ]) {
        const res = await fetch(url);
        expect(res.status).toBe(404);
        expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'No such job.' } });
      }
      expect((await post(`${api.url}/api/jobs/${created.jobId}/cancel?projectId=other-p`)).status).toBe(404);
      expect((await post(`${api.url}/api/jobs/${created.jobId}/process?projectId=other-p`)).status).toBe(404);
    });

    it('answers 409 for the image of a job that is not completed', async () => {
      const created = await create('not-ready');
      const res = await fetch(`${api.url}/api/jobs/${created.jobId}/image?projectId=not-ready`);
      expect(res.status).toBe(409);
      expect(((await res.json()) as any).error.code).toBe('not_ready');
    });
  });
}
