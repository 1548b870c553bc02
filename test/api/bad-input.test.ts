// Bad input gets a clear 4xx JSON error, writes nothing, and never escapes the store's folder — on
// every backend.
import { readdir } from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ObjectStore } from '../../shared/store/object-store.js';
import { exampleBody } from '../helpers/concept.js';
import { useInlineApi } from '../helpers/api.js';
import { selectedProcessStores } from '../helpers/stores.js';

// Every top-level folder the API and the queue write (shared/store/keys.ts).
const TOP_FOLDERS = [
  'jobs/',
  'results/',
  'uploads/',
  'idempotency/',
  'charges/',
  'owners/',
  'queue/',
  'leases/',
  'cancel/',
  'metrics/',
  'rate/',
  'slots/',
  'webhooks/',
];

async function storedAnything(store: ObjectStore): Promise<string[]> {
  const found: string[] = [];
  for (const prefix of TOP_FOLDERS) {
    const [objects, folders] = await Promise.all([store.list(prefix, { limit: 1 }), store.listFolders(prefix, { limit: 1 })]);
    found.push(...objects.items.map((i) => i.key), ...folders.items.map((f) => f.key));
  }
  return found;
}

async function expectError(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe(code);
  expect(body.error.message.length).toBeGreaterThan(0);
  return body.error;
}

for (const [name, make] of selectedProcessStores())
  describe(`bad input (${name})`, () => {
    const fx = useInlineApi({ MAX_BODY_BYTES: '65536' }, make);

    const render = (body: string, contentType = 'application/json') =>
      fetch(`${fx.api.url}/api/jobs/render`, { method: 'POST', headers: { 'content-type': contentType }, body });
    const withInputs = (patch: Record<string, unknown>) =>
      JSON.stringify({ ...exampleBody, conceptInputs: { ...(exampleBody.conceptInputs as object), ...patch } });

    describe('POST /api/jobs/render rejects bad bodies', () => {
      it('malformed JSON → 400 invalid_json', async () => {
        await expectError(await render('{"projectId": "p", '), 400, 'invalid_json');
      });
      it('not JSON → 415', async () => {
        await expectError(await render('projectId=p', 'application/x-www-form-urlencoded'), 415, 'unsupported_media_type');
      });
      it('empty body → 400', async () => {
        await expectError(await render(''), 400, 'invalid_request');
      });
      it('a JSON array or string → 400', async () => {
        await expectError(await render('[1,2]'), 400, 'invalid_request');
        await expectError(await render('"hello"'), 400, 'invalid_request');
      });
      it('missing fields → 400 naming each one', async () => {
        const err = await expectError(await render('{}'), 400, 'invalid_request');
        const paths = (err as unknown as { details: Array<{ path: string[] }> }).details.map((d) => d.path.join('.'));
        expect(paths).toEqual(expect.arrayContaining(['projectId', 'renderType', 'conceptInputs']));
      });
      it('unknown renderType → 400', async () => {
        await expectError(await render(JSON.stringify({ ...exampleBody, renderType: 'photoreal' })), 400, 'invalid_request');
      });
      it('wrong types and out-of-range values → 400', async () => {
        await expectError(await render(withInputs({ site: { width: '60', depth: 45 } })), 400, 'invalid_request');
        await expectError(await render(withInputs({ site: { width: -1, depth: 45 } })), 400, 'invalid_request');
        await expectError(await render(withInputs({ volumes: [] })), 400, 'invalid_request');
        await expectError(await render(withInputs({ view: { azimuthDeg: 720 } })), 400, 'invalid_request');
        await expectError(await render(withInputs({ palette: { walls: 'red' } })), 400, 'invalid_request');
      });
      it('a volume outside its site → 400 pointing at it', async () => {
        const err = await expectError(
          await render(withInputs({ site: { width: 10, depth: 10 }, volumes: [{ footprint: { width: 8, depth: 8 }, offset: { x: 5, y: 0 }, floors: 2 }] })),
          400,
          'invalid_request',
        );
        expect(JSON.stringify(err)).toContain('past the site width');
      });
      it('unknown fields (typos) → 400', async () => {
        await expectError(await render(JSON.stringify({ ...exampleBody, projectid: 'x' })), 400, 'invalid_request');
        await expectError(await render(withInputs({ volumes: [{ footprint: { width: 8, depth: 8 }, heigth: 9 }] })), 400, 'invalid_request');
      });
      it('an oversized body → 413', async () => {
        const huge = JSON.stringify({ ...exampleBody, conceptInputs: { ...(exampleBody.conceptInputs as object), stylePrompt: 'x'.repeat(100_000) } });
        await expectError(await render(huge), 413, 'payload_too_large');
      });
      it('a bad projectId in the body → 400', async () => {
        for (const projectId of ['../etc', 'a/b', 'a\\b', '..', '', 'x'.repeat(65), 'a\u0000b', '%2e%2e']) {
          await expectError(await render(JSON.stringify({ ...exampleBody, projectId })), 400, 'invalid_request');
        }
      });
    });

    describe('ids in paths and queries', () => {
      const hostile = ['..', '%2e%2e', '%2E%2E', '..%2f..%2fetc', '%2F', 'a%5Cb', '%5C..', '%00', 'a%00b', 'x'.repeat(65), '.hidden', '%zz'];
      it.each(hostile)('jobId %s → 4xx JSON on every job route', async (jobId) => {
        for (const [method, suffix] of [
          ['GET', ''],
          ['GET', '/image'],
          ['POST', '/cancel'],
          ['POST', '/process'],
        ] as const) {
          const res = await fetch(`${fx.api.url}/api/jobs/${jobId}${suffix}?projectId=p`, { method });
          expect(res.status, `${method} ${suffix} ${jobId}`).toBeGreaterThanOrEqual(400);
          expect(res.status, `${method} ${suffix} ${jobId}`).toBeLessThan(500);
          expect(((await res.json()) as { error: { code: string } }).error.code).toBeTruthy();
        }
      });
      it.each(['..', '%2e%2e', 'a%2Fb', '', 'x'.repeat(65), 'a%00b'])('projectId %s in the query → 400', async (projectId) => {
        await expectError(await fetch(`${fx.api.url}/api/jobs/abc?projectId=${projectId}`), 400, 'invalid_request');
        await expectError(await fetch(`${fx.api.url}/api/jobs?projectId=${projectId}`), 400, 'invalid_request');
      });
      it('a missing or repeated projectId → 400', async () => {
        await expectError(await fetch(`${fx.api.url}/api/jobs/abc`), 400, 'invalid_request');
        await expectError(await fetch(`${fx.api.url}/api/jobs/abc?projectId=a&projectId=b`), 400, 'invalid_request');
      });
      it('bad list paging → 400', async () => {
        await expectError(await fetch(`${fx.api.url}/api/jobs?projectId=p&limit=0`), 400, 'invalid_request');
        await expectError(await fetch(`${fx.api.url}/api/jobs?projectId=p&limit=1000`), 400, 'invalid_request');
        await expectError(await fetch(`${fx.api.url}/api/jobs?projectId=p&cursor=../x`), 400, 'invalid_request');
      });
    });

    describe('methods and routes', () => {
      it('a wrong method → 405 with Allow', async () => {
        const res = await fetch(`${fx.api.url}/api/jobs/render`);
        expect(res.headers.get('allow')).toBe('POST');
        await expectError(res, 405, 'method_not_allowed');
        await expectError(await fetch(`${fx.api.url}/api/jobs/abc/cancel?projectId=p`), 405, 'method_not_allowed');
      });
      it('an unknown route → 404 JSON', async () => {
        await expectError(await fetch(`${fx.api.url}/api/nope`), 404, 'not_found');
      });
    });

    describe('after all of the above', () => {
      it('nothing was written outside the store folder, and no job was created', async () => {
        if (fx.fx.env.STORE === 'fs') {
          const jobsDir = fx.dir;
          const outside = (await readdir(path.dirname(jobsDir))).filter((name) => name !== path.basename(jobsDir));
          expect(outside).toEqual([]);
          const inside = await readdir(jobsDir).catch(() => [] as string[]);
          expect(inside).toEqual([]);
        }
        expect(await storedAnything(fx.fx.store)).toEqual([]);
      });
    });
  });
