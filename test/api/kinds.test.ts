// Job kinds and large inputs through the real API, on every backend: the inline preview, uploads
// straight to storage, and an edit rendered by the OpenAI stand-in from the uploaded reference images.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config.js';
import { selectProvider } from '../../shared/providers/select.js';
import { claimJob } from '../../shared/queue/claim.js';
import { keys } from '../../shared/store/keys.js';
import { runJob } from '../../shared/runner/run-job.js';
import { type ApiFixture, startApi } from '../helpers/api.js';
import { exampleBody } from '../helpers/concept.js';
import { onRealServer, type ProcessStoreFixture, selectedProcessStores, tempDir } from '../helpers/stores.js';
import { interceptWith } from '../stand-ins/msw.js';
import { OPENAI_KEY, OPENAI_URL, OpenAIImagesStandIn, STAND_IN_PNG } from '../stand-ins/openai-images.js';

const openai = new OpenAIImagesStandIn();
interceptWith(openai.handlers);
const OPENAI_ENV = { OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: OPENAI_URL, WORKER_URL: 'none' };

for (const [name, make] of selectedProcessStores()) {
  describe(`kinds and uploads (${name})`, () => {
    let api: ApiFixture;
    let fx: ProcessStoreFixture;
    let env: Record<string, string>;
    beforeAll(async () => {
      // On Supabase an upload goes straight to the assets bucket, whose own limit refuses one too large.
      fx = await make({ assetsFileSizeLimit: 1024 * 1024 });
      env = { ...fx.env, UPLOAD_MAX_BYTES: '4096' };
      api = await startApi({ ...env, ...OPENAI_ENV });
    });
    afterAll(async () => {
      await api?.close();
      await fx?.cleanup();
    });

    const post = (path: string, body: unknown) =>
      fetch(api.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const abs = (url: string) => (url.startsWith('/') ? api.url + url : url);

    async function upload(files: Buffer[], projectId = 'kinds'): Promise<string[]> {
      const res = await post('/api/uploads', { projectId, files: files.map((f) => ({ contentType: 'image/png', bytes: f.length })) });
      expect(res.status).toBe(201);
      const { uploads } = (await res.json()) as { uploads: Array<{ uploadId: string; url: string; method: string; headers: Record<string, string> }> };
      await Promise.all(
        uploads.map(async (u, i) => {
          const put = await fetch(abs(u.url), { method: u.method, headers: u.headers, body: new Uint8Array(files[i]!) });
          expect(put.status, await put.clone().text()).toBeLessThan(300);
        }),
      );
      return uploads.map((u) => u.uploadId);
    }

    it('answers a preview inline: 201 with the finished job and an image that opens', async () => {
      const res = await post('/api/jobs/render', { ...exampleBody, projectId: 'kinds', kind: 'preview' });
      expect(res.status).toBe(201);
      const body = (await res.json()) as { status: string; imageUrl: string; job: { result: { width: number; renderer: string } } };
      expect(body.status, JSON.stringify(body.job)).toBe('completed');
      expect(body.job.result).toMatchObject({ width: 512, renderer: 'axonometric' });
      const image = await fetch(abs(body.imageUrl));
      expect(image.status).toBe(200);
      expect(
        Buffer.from(await image.arrayBuffer())
          .subarray(1, 4)
          .toString(),
      ).toBe('PNG');
    });

    it('renders an edit from uploaded reference images on the worker, through OpenAI images.edit', async () => {
      const refs = await upload([STAND_IN_PNG, STAND_IN_PNG]);
      const res = await post('/api/jobs/render', { ...exampleBody, projectId: 'kinds', kind: 'edit', references: refs });
      expect(res.status).toBe(202);
      const { jobId } = (await res.json()) as { jobId: string };
      // The worker's part, in-process: claim and run with the configured (OpenAI) renderer.
      const config = loadConfig({ NODE_ENV: 'test', ...env, ...OPENAI_ENV });
      const claim = await claimJob(api.ctx.queue, { projectId: 'kinds', jobId }, { workerId: 'w' });
      if (claim.kind !== 'run') throw new Error(`expected to run, got ${claim.kind}`);
      const done = await runJob(claim.holder, { provider: selectProvider(config) });
      expect(done).toMatchObject({ status: 'completed', kind: 'edit', references: refs, result: { renderer: 'openai', model: 'gpt-image-1' } });
      expect(openai.calls.at(-1)).toMatchObject({ op: 'edit', images: 2 });
      expect(done!.previewUrl).not.toBeNull();
      const image = await fetch(abs(done!.imageUrl!));
      expect(Buffer.from(await image.arrayBuffer()).equals(STAND_IN_PNG)).toBe(true);
      // The API's image route: bytes from the fs store, a redirect to a fresh signed URL from Supabase.
      for (const variant of ['image', 'preview']) {
        let res = await fetch(abs(`/api/jobs/${jobId}/image?projectId=kinds&variant=${variant}`), { redirect: 'manual' });
        if (fx.env.STORE === 'supabase') {
          expect(res.status).toBe(302);
          res = await fetch(res.headers.get('location')!);
        }
        expect(res.status).toBe(200);
        expect(Buffer.from(await res.arrayBuffer()).equals(STAND_IN_PNG)).toBe(true);
      }
    });

    it('refuses an edit whose uploads are missing or too large, naming them, and creates nothing', async () => {
      const missing = 'u' + 'a'.repeat(26);
      const res = await post('/api/jobs/render', { ...exampleBody, projectId: 'kinds-bad', kind: 'edit', references: [missing] });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: 'upload_missing', details: { missing: [missing] } } });
      // A direct upload (Supabase) that ignored the size it declared: refused when used.
      const granted = await post('/api/uploads', { projectId: 'kinds-bad', files: [{ contentType: 'image/png', bytes: 100 }] });
      const big = ((await granted.json()) as { uploads: Array<{ uploadId: string }> }).uploads[0]!.uploadId;
      await api.ctx.store.put(keys.upload('kinds-bad', big), Buffer.alloc(5000, 1), { contentType: 'image/png' });
      const tooBig = await post('/api/jobs/render', { ...exampleBody, projectId: 'kinds-bad', kind: 'edit', references: [big] });
      expect(tooBig.status).toBe(413);
      expect(await tooBig.json()).toMatchObject({ error: { code: 'upload_too_large' } });
      expect((await api.ctx.store.list(keys.jobsOf('kinds-bad'))).items).toEqual([]);
    });

    it('checks the request: an edit needs references, other kinds take none, at most 8 files', async () => {
      const noRefs = await post('/api/jobs/render', { ...exampleBody, projectId: 'kinds', kind: 'edit' });
      expect(noRefs.status).toBe(400);
      const refsOnRender = await post('/api/jobs/render', { ...exampleBody, projectId: 'kinds', references: ['u' + 'c'.repeat(26)] });
      expect(refsOnRender.status).toBe(400);
      const nine = await post('/api/uploads', { projectId: 'kinds', files: Array.from({ length: 9 }, () => ({ contentType: 'image/png', bytes: 10 })) });
      expect(nine.status).toBe(400);
      const huge = await post('/api/uploads', { projectId: 'kinds', files: [{ contentType: 'image/png', bytes: 5000 }] });
      expect(huge.status).toBe(400);
      const gif = await post('/api/uploads', { projectId: 'kinds', files: [{ contentType: 'image/gif', bytes: 10 }] });
      expect(gif.status).toBe(400);
    });

    it('refuses an upload larger than the limit at the upload itself', async () => {
      const res = await post('/api/uploads', { projectId: 'kinds', files: [{ contentType: 'image/png', bytes: 4000 }] });
      const { uploads } = (await res.json()) as { uploads: Array<{ url: string; method: string; headers: Record<string, string> }> };
      const u = uploads[0]!;
      const put = await fetch(abs(u.url), { method: u.method, headers: u.headers, body: new Uint8Array(Buffer.alloc(1536 * 1024, 1)) });
      expect(put.ok).toBe(false);
      const body = (await put.json()) as Record<string, any>;
      // Our route: 413 payload_too_large. Supabase: HTTP 400 with statusCode "413", as the real server.
      expect(put.status === 413 || body.statusCode === '413').toBe(true);
    });
  });
}

// The API's own upload route, which only the filesystem store uses (a bucket takes uploads itself).
if (!onRealServer)
  describe('fs upload route', () => {
    let api: ApiFixture;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      const tmp = await tempDir();
      cleanup = tmp.cleanup;
      api = await startApi({ JOBS_DIR: tmp.dir });
    });
    afterAll(async () => {
      await api.close();
      await cleanup();
    });

    async function uploadUrl() {
      const res = await fetch(`${api.url}/api/uploads`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ projectId: 'up', files: [{ contentType: 'image/png', bytes: 100 }] }),
      });
      return ((await res.json()) as { uploads: Array<{ url: string }> }).uploads[0]!.url;
    }

    it('takes an image once, refuses a second use, a forged token and a file that is not an image', async () => {
      const url = await uploadUrl();
      const put = (u: string, body: Uint8Array) => fetch(api.url + u, { method: 'PUT', headers: { 'content-type': 'image/png' }, body });
      expect((await put(url, new Uint8Array(STAND_IN_PNG))).status).toBe(201);
      expect((await put(url, new Uint8Array(STAND_IN_PNG))).status).toBe(409);
      const forged = (await uploadUrl()).replace(/token=[^&]+/, 'token=forged');
      expect((await put(forged, new Uint8Array(STAND_IN_PNG))).status).toBe(401);
      const other = await uploadUrl();
      const notImage = await put(other, new TextEncoder().encode('#!/bin/sh\necho hi'));
      expect(notImage.status).toBe(415);
    });
  });
