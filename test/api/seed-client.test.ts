// Clients written for the plain job pattern: create, then a fire-and-forget POST /process with a
// JSON body {projectId, conceptInputs} and no query string, then poll. They must work against this
// API with a worker and without one (WORKER_URL=none, where /process runs the job itself), on every
// backend.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleBody } from '../helpers/concept.js';
import { type ApiFixture, startApi, useWorkerAndApi, waitForJob } from '../helpers/api.js';
import { type ProcessStoreFixture, selectedProcessStores } from '../helpers/stores.js';

/** The job pattern's client, as such apps ship it (only the base URL and poll interval are added). */
async function renderWithJobs(
  base: string,
  projectId: string,
  conceptId: string,
  conceptInputs: unknown,
  pollMs = 200,
): Promise<{ jobId: string; imageUrl: string }> {
  const res = await fetch(`${base}/api/jobs/render`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ projectId, conceptId, renderType: 'axonometric', conceptInputs }),
  });
  if (!res.ok) throw new Error(`create failed: ${res.status}`);
  const { jobId } = (await res.json()) as { jobId: string };

  // Kick off processing; don't await it (the render may take longer than a request may).
  fetch(`${base}/api/jobs/${jobId}/process`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ projectId, conceptInputs }),
  }).catch(() => {});

  for (;;) {
    await new Promise((r) => setTimeout(r, pollMs));
    const poll = await fetch(`${base}/api/jobs/${jobId}?projectId=${projectId}`);
    const { job } = (await poll.json()) as { job: { status: string; imageUrl: string; error: string } };
    if (job.status === 'completed') return { jobId, imageUrl: job.imageUrl };
    if (job.status === 'failed' || job.status === 'cancelled') throw new Error(job.error || job.status);
  }
}

const conceptInputs = { ...(exampleBody.conceptInputs as Record<string, unknown>), view: { width: 400, height: 300 } };
const json = (body: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

async function create(api: ApiFixture, projectId: string): Promise<string> {
  const res = await fetch(`${api.url}/api/jobs/render`, json({ projectId, renderType: 'axonometric', conceptInputs }));
  return ((await res.json()) as { jobId: string }).jobId;
}

for (const [name, make] of selectedProcessStores()) {
  describe(`the job pattern client, with a worker (${name})`, () => {
    const env = useWorkerAndApi({ POLL_INTERVAL_MS: '100', HEARTBEAT_MS: '200', LEASE_MS: '3000' }, make);

    it('renders: create, /process with a JSON body, poll until completed', async () => {
      const { imageUrl } = await renderWithJobs(env.api.url, 'seed-worker', 'concept-a', conceptInputs);
      const image = await fetch(new URL(imageUrl, env.api.url)); // a bucket's signed URL is absolute
      expect(image.status).toBe(200);
      expect(
        Buffer.from(await image.arrayBuffer())
          .subarray(1, 4)
          .toString(),
      ).toBe('PNG');
    }, 20_000);

    it('/process takes projectId from the body (202, handled by the worker)', async () => {
      const jobId = await create(env.api, 'seed-worker');
      const res = await fetch(`${env.api.url}/api/jobs/${jobId}/process`, json({ projectId: 'seed-worker', conceptInputs }));
      expect(res.status).toBe(202);
      expect(await res.json()).toMatchObject({ jobId, handledBy: 'worker' });
    });
  });

  describe(`the job pattern client, inline (WORKER_URL=none) (${name})`, () => {
    let api: ApiFixture;
    let fx: ProcessStoreFixture;
    beforeAll(async () => {
      fx = await make();
      api = await startApi({ ...fx.env, WORKER_URL: 'none' });
    });
    afterAll(async () => {
      await api?.close();
      await fx?.cleanup();
    });

    it('renders: the body-only /process call runs the job', async () => {
      const { jobId, imageUrl } = await renderWithJobs(api.url, 'seed-inline', 'concept-a', conceptInputs);
      expect(imageUrl).toContain(jobId);
      expect((await fetch(new URL(imageUrl, api.url))).status).toBe(200);
    }, 20_000);

    it('cancel takes projectId from the body: a pending job is cancelled at once', async () => {
      const jobId = await create(api, 'seed-inline');
      const res = await fetch(`${api.url}/api/jobs/${jobId}/cancel`, json({ projectId: 'seed-inline' }));
      expect(res.status).toBe(200);
      expect(((await res.json()) as { job: { status: string } }).job.status).toBe('cancelled');
    });

    it('query and body must name the same project; one of them must name it', async () => {
      const jobId = await create(api, 'seed-inline');
      for (const route of ['process', 'cancel']) {
        const differ = await fetch(`${api.url}/api/jobs/${jobId}/${route}?projectId=other`, json({ projectId: 'seed-inline' }));
        expect(differ.status, route).toBe(400);
        expect(((await differ.json()) as { error: { code: string; message: string } }).error).toMatchObject({
          code: 'invalid_request',
          message: expect.stringMatching(/query string and the JSON body/),
        });
        const same = await fetch(`${api.url}/api/jobs/${jobId}/${route}?projectId=seed-inline`, json({ projectId: 'seed-inline' }));
        expect(same.status, route).toBeLessThan(300);
        const neither = await fetch(`${api.url}/api/jobs/${jobId}/${route}`, json({ conceptInputs }));
        expect(neither.status, route).toBe(400);
        expect(((await neither.json()) as { error: { message: string } }).error.message).toMatch(/projectId is required/);
        const badBody = await fetch(`${api.url}/api/jobs/${jobId}/${route}`, json({ projectId: '../etc' }));
        expect(badBody.status, route).toBe(400);
      }
      // The accepted /process ran the job inline (the cancel may come before or after it ended).
      await waitForJob(api, 'seed-inline', jobId, (j) => j.status === 'completed' || j.status === 'cancelled');
    });
  });
}
