// Property-based fuzzing of every route, API and worker, over real sockets: thousands of malformed
// requests (methods, paths and ids, query strings, headers, bodies: random JSON, near-valid
// requests, truncated and huge payloads, bytes). Never a 5xx, never a crash, and nothing written
// anywhere but inside the store's folder.
import { readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/processes.js';
import { FsObjectStore } from '../../shared/store/fs-store.js';
import { ClaimLoop } from '../../worker/claim-loop.js';
import { createWorkerApp } from '../../worker/app.js';
import { type ApiFixture, startApi } from '../helpers/api.js';
import { exampleBody } from '../helpers/concept.js';
import { silentLog, testDeps } from '../helpers/deps.js';
import { TimedProvider } from '../helpers/providers.js';
import { tempDir } from '../helpers/stores.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 2500);

function tree(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    out.push(p);
    if (e.isDirectory()) out.push(...tree(p));
  }
  return out;
}

const ids = fc.oneof(
  fc.constantFrom('zybqx36sbrkd6cr9b8zgn86kasyfqmw4c39p1g', 'p1', 'u0123456789abcdefghjkmnpqr', '', '.', '..', '../..', '..%2F..', '%2e%2e', '%00', 'a/b', 'a\\b', '~', 'CON', 'x'.repeat(300), '%E2%80%AE', '%ZZ'),
  fc.string({ maxLength: 80 }).map(encodeURIComponent),
  fc.stringMatching(/^[A-Za-z0-9_-]{1,70}$/),
);
const paths = fc.oneof(
  fc.constantFrom('/api/jobs/render', '/api/jobs', '/api/uploads', '/api/metrics', '/api/cron/prune', '/api/openapi.json', '/process', '/healthz', '/', '/api', '/api/jobs/'),
  ids.map((id) => `/api/jobs/${id}`),
  fc.tuple(ids, fc.constantFrom('process', 'cancel', 'image', 'events', 'nope', '')).map(([id, sub]) => `/api/jobs/${id}/${sub}`),
  ids.map((id) => `/api/uploads/${id}`),
  fc.webPath().map((p) => `/api${p}`),
);
const queries = fc.oneof(
  fc.constant(''),
  fc.dictionary(fc.constantFrom('projectId', 'limit', 'cursor', 'variant', 'token', 'expires', 'jobId', 'x'), fc.oneof(ids, fc.integer().map(String), fc.constant('')), { maxKeys: 4 }).map(
    (q) => '?' + new URLSearchParams(q).toString(),
  ),
  fc.constant('?projectId=p1&projectId=p2'),
  fc.string({ maxLength: 100 }).map((s) => '?' + s),
);
const validBody = { ...exampleBody, projectId: 'fuzz' };
const bodies = fc.oneof(
  fc.constant(undefined),
  fc.json({ maxDepth: 4 }),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify({ ...validBody, ...(typeof v === 'object' && v && !Array.isArray(v) ? v : { extra: v }) })),
  fc.constantFrom('projectId', 'renderType', 'conceptInputs', 'kind', 'references', 'webhook', 'idempotencyKey', 'maxAttempts', 'startWithinMs').chain((k) =>
    fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify({ ...validBody, [k]: v })),
  ),
  fc.nat({ max: 400 }).map((n) => JSON.stringify(validBody).slice(0, n)), // truncated
  fc.constant(JSON.stringify({ ...validBody, conceptInputs: { ...(exampleBody.conceptInputs as object), title: 'x'.repeat(300_000) } })), // huge
  fc.uint8Array({ maxLength: 2000 }).map((b) => Buffer.from(b)),
  fc.string({ maxLength: 500 }),
);
const headers = fc.record(
  {
    'content-type': fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data', 'image/png', ''),
    authorization: fc.oneof(fc.constantFrom('Bearer ', 'Bearer x.y.z', 'Basic Zm9vOmJhcg=='), fc.string({ maxLength: 60 }).map((s) => `Bearer ${s.replace(/[\r\n]/g, '')}`)),
    'idempotency-key': fc.string({ maxLength: 300 }).map((s) => s.replace(/[\r\n\0]/g, '')),
    'if-none-match': fc.constantFrom('"x"', '*', 'W/"1"'),
    'last-event-id': fc.string({ maxLength: 40 }).map((s) => s.replace(/[\r\n\0]/g, '')),
  },
  { requiredKeys: [] },
);
const anyRequest = fc.record({
  target: fc.constantFrom('api', 'api', 'api', 'worker'),
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'),
  path: paths,
  query: queries,
  headers,
  body: bodies,
});
// Creates that are almost right reach deepest (stores, idempotency, uploads, webhooks): a share
// of the runs is spent on them, with JSON content and the right route.
const nearValidCreate = fc.record({
  target: fc.constant('api'),
  method: fc.constant('POST'),
  path: fc.constant('/api/jobs/render'),
  query: fc.constant(''),
  headers: headers.map((h) => ({ ...h, 'content-type': 'application/json' })),
  body: fc.oneof(
    fc.constant(JSON.stringify(validBody)),
    fc.constantFrom('projectId', 'renderType', 'conceptInputs', 'kind', 'references', 'webhook', 'idempotencyKey', 'maxAttempts', 'startWithinMs', 'runWithinMs').chain((k) =>
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify({ ...validBody, [k]: v })),
    ),
  ),
});
const requests = fc.oneof({ arbitrary: anyRequest, weight: 4 }, { arbitrary: nearValidCreate, weight: 1 });

describe('fuzzing every route', () => {
  let api: ApiFixture;
  let workerUrl: string;
  let closeWorker: () => Promise<void>;
  let tmp: { dir: string };
  let rootBefore: string[];
  beforeAll(async () => {
    tmp = await tempDir('render-jobs-fuzz-');
    const store = path.join(tmp.dir, 'store');
    rootBefore = readdirSync(ROOT).sort();
    api = await startApi({ JOBS_DIR: store, WORKER_URL: 'none', RENDERER: 'stub', FUNCTION_BUDGET_MS: '1000', CREATE_RATE_PER_MINUTE: '0' });
    const loop = new ClaimLoop(testDeps(new FsObjectStore(store)), { workerId: 'fuzz', concurrency: 2, provider: new TimedProvider(5) });
    loop.start();
    const server = createWorkerApp({ loop, secret: null, workerId: 'fuzz', log: silentLog }).listen(0, '127.0.0.1');
    await new Promise<void>((r) => server.once('listening', () => r()));
    workerUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    closeWorker = async () => {
      server.closeAllConnections();
      server.close();
      await loop.stop(1000);
    };
  });
  afterAll(async () => {
    await closeWorker();
    await api.close();
    // A job the fuzz started inline (WORKER_URL=none runs it in /process) may still be writing.
    await rm(tmp.dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 50 });
  });

  it(`answers ${RUNS} malformed requests without a 5xx, and writes only inside the store`, async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(requests, async (r) => {
        const base = r.target === 'api' ? api.url : workerUrl;
        const hasBody = r.body !== undefined && r.method !== 'GET' && r.method !== 'HEAD';
        const ctl = new AbortController();
        let res: Response;
        try {
          res = await fetch(base + r.path + r.query, { method: r.method, headers: r.headers, body: hasBody ? r.body : undefined, signal: ctl.signal });
        } catch (err) {
          // fetch itself refuses some requests (a bad header value, a body on GET) before sending.
          if (err instanceof TypeError && !/fetch failed/.test(err.message)) return;
          throw err;
        }
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        ctl.abort(); // event streams would go on: the status is what is checked
        expect(res.status, `${r.method} ${r.path}${r.query}`).toBeLessThan(500);
      }),
      { numRuns: RUNS, seed: Number(process.env.FUZZ_SEED ?? 20261123) },
    );
    console.log(`fuzz statuses: ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);
    // Still serving, and nothing outside the store's folder.
    expect((await fetch(`${api.url}/api/openapi.json`)).status).toBe(200);
    expect((await fetch(`${workerUrl}/healthz`)).status).toBe(200);
    expect(readdirSync(tmp.dir)).toEqual(['store']);
    expect(readdirSync(ROOT).sort()).toEqual(rootBefore);
    const stored = tree(path.join(tmp.dir, 'store')).map((p) => path.relative(path.join(tmp.dir, 'store'), p));
    expect(stored.every((p) => !p.startsWith('..'))).toBe(true);
    expect(stored.some((p) => p.startsWith('jobs/fuzz/'))).toBe(true); // the near-valid requests did make jobs
  }, 240_000);
});
