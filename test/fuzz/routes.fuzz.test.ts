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
import { SignJWT } from 'jose';
import { urlProblem } from '../../shared/webhooks/address-guard.js';
import { JWT_SECRET } from '../stand-ins/supabase-auth.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 2500);
const FUZZ_API_KEY = 'fuzz-api-key-0123456789-abcdefghij';

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
  fc.constantFrom(
    'zybqx36sbrkd6cr9b8zgn86kasyfqmw4c39p1g',
    'p1',
    'u0123456789abcdefghjkmnpqr',
    '',
    '.',
    '..',
    '../..',
    '..%2F..',
    '%2e%2e',
    '%00',
    'a/b',
    'a\\b',
    '~',
    'CON',
    'x'.repeat(300),
    '%E2%80%AE',
    '%ZZ',
  ),
  fc.string({ maxLength: 80 }).map(encodeURIComponent),
  fc.stringMatching(/^[A-Za-z0-9_-]{1,70}$/),
);
const paths = fc.oneof(
  fc.constantFrom(
    '/api/jobs/render',
    '/api/jobs',
    '/api/uploads',
    '/api/metrics',
    '/api/cron/prune',
    '/api/openapi.json',
    '/process',
    '/healthz',
    '/',
    '/api',
    '/api/jobs/',
  ),
  ids.map((id) => `/api/jobs/${id}`),
  fc.tuple(ids, fc.constantFrom('process', 'cancel', 'image', 'events', 'nope', '')).map(([id, sub]) => `/api/jobs/${id}/${sub}`),
  ids.map((id) => `/api/uploads/${id}`),
  fc.webPath().map((p) => `/api${p}`),
);
const queries = fc.oneof(
  fc.constant(''),
  fc
    .dictionary(
      fc.constantFrom('projectId', 'limit', 'cursor', 'variant', 'token', 'expires', 'jobId', 'x'),
      fc.oneof(ids, fc.integer().map(String), fc.constant('')),
      { maxKeys: 4 },
    )
    .map((q) => '?' + new URLSearchParams(q).toString()),
  fc.constant('?projectId=p1&projectId=p2'),
  fc.string({ maxLength: 100 }).map((s) => '?' + s),
);
const validBody = { ...exampleBody, projectId: 'fuzz' };
const bodies = fc.oneof(
  fc.constant(undefined),
  fc.json({ maxDepth: 4 }),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify({ ...validBody, ...(typeof v === 'object' && v && !Array.isArray(v) ? v : { extra: v }) })),
  fc
    .constantFrom('projectId', 'renderType', 'conceptInputs', 'kind', 'references', 'webhook', 'idempotencyKey', 'maxAttempts', 'startWithinMs')
    .chain((k) => fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify({ ...validBody, [k]: v }))),
  fc.nat({ max: 400 }).map((n) => JSON.stringify(validBody).slice(0, n)), // truncated
  fc.constant(JSON.stringify({ ...validBody, conceptInputs: { ...(exampleBody.conceptInputs as object), title: 'x'.repeat(300_000) } })), // huge
  fc.uint8Array({ maxLength: 2000 }).map((b) => Buffer.from(b)),
  fc.string({ maxLength: 500 }),
);
const headers = fc.record(
  {
    'content-type': fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data',
      'image/png',
      '',
    ),
    authorization: fc.oneof(
      fc.constantFrom('Bearer ', 'Bearer x.y.z', 'Basic Zm9vOmJhcg=='),
      fc.string({ maxLength: 60 }).map((s) => `Bearer ${s.replace(/[\r\n]/g, '')}`),
    ),
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
    fc
      .constantFrom(
        'projectId',
        'renderType',
        'conceptInputs',
        'kind',
        'references',
        'webhook',
        'idempotencyKey',
        'maxAttempts',
        'startWithinMs',
        'runWithinMs',
      )
      .chain((k) => fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify({ ...validBody, [k]: v }))),
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

// Issue 12: the edges a deployment that follows the README must hold under random input.
describe('fuzzing the safe defaults', () => {
  const SIGNING = 'fuzz-worker-secret-0123456789';
  let api: ApiFixture;
  let tmp: { dir: string; cleanup(): Promise<void> };
  beforeAll(async () => {
    tmp = await tempDir('render-jobs-fuzz-safe-');
    api = await startApi({
      JOBS_DIR: tmp.dir,
      WORKER_URL: 'none',
      RENDERER: 'stub',
      AUTH_JWT_SECRET: JWT_SECRET,
      API_KEY: FUZZ_API_KEY,
      WORKER_SECRET: SIGNING,
      UPLOAD_RATE_PER_MINUTE: '0',
      UPLOAD_QUOTA_BYTES: '0',
    });
  });
  afterAll(async () => {
    await api.close();
    await tmp.cleanup();
  });

  it('accepts an access token only with a sane exp, no anonymous claim, and never answers 5xx', async () => {
    const nowS = Math.floor(Date.now() / 1000);
    const claims = fc.record({
      sub: fc.stringMatching(/^[a-z0-9-]{1,40}$/),
      exp: fc.option(fc.constantFrom(nowS - 100, nowS + 3600, nowS + 86_400 * 2, nowS + 86_400 * 365 * 100), { nil: undefined }),
      role: fc.constantFrom('authenticated', 'anon', 'service_role', ''),
      is_anonymous: fc.option(fc.boolean(), { nil: undefined }),
      iss: fc.option(fc.constantFrom('https://abc.supabase.co/auth/v1', 'https://evil.example'), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(claims, async (c) => {
        const jwt = new SignJWT({ role: c.role, ...(c.is_anonymous === undefined ? {} : { is_anonymous: c.is_anonymous }) })
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject(c.sub)
          .setAudience('authenticated')
          .setIssuedAt();
        if (c.exp !== undefined) jwt.setExpirationTime(c.exp);
        if (c.iss !== undefined) jwt.setIssuer(c.iss);
        const token = await jwt.sign(new TextEncoder().encode(JWT_SECRET));
        const res = await fetch(`${api.url}/api/jobs?projectId=fuzz`, { headers: { authorization: `Bearer ${token}` } });
        const sane = c.exp === nowS + 3600 && c.role !== 'anon' && c.is_anonymous !== true;
        expect([JSON.stringify(c), res.status]).toEqual([JSON.stringify(c), sane ? 200 : 401]);
      }),
      { numRuns: Math.max(50, Math.ceil(RUNS / 10)), seed: Number(process.env.FUZZ_SEED ?? 20261123) },
    );
  }, 120_000);

  it('stores an upload only as granted (size, type, signature), whatever is sent, and never answers 5xx', async () => {
    const res = await fetch(`${api.url}/api/uploads`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${FUZZ_API_KEY}` },
      body: JSON.stringify({ projectId: 'fuzzup', files: Array.from({ length: 8 }, () => ({ contentType: 'image/png', bytes: 64 })) }),
    });
    const { uploads } = (await res.json()) as { uploads: Array<{ uploadId: string; url: string }> };
    const png = (n: number) => Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(Math.max(0, n - 8), 1)]);
    const attempt = fc.record({
      which: fc.nat({ max: uploads.length - 1 }),
      tamper: fc.option(
        fc.record({
          key: fc.constantFrom('bytes', 'type', 'token', 'expires', 'projectId'),
          value: fc.oneof(fc.constantFrom('100000', 'image/jpeg', '', '1', 'fuzzup2'), fc.string({ maxLength: 30 })),
        }),
        { nil: undefined },
      ),
      contentType: fc.constantFrom('image/png', 'image/jpeg', 'application/json', 'text/plain', 'application/octet-stream', ''),
      body: fc.oneof(
        fc.integer({ min: 1, max: 200 }).map(png),
        fc.constant(Buffer.from('{"a":1}')),
        fc.constant(Buffer.from('{bad')),
        fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
      ),
    });
    await fc.assert(
      fc.asyncProperty(attempt, async (a) => {
        const url = new URL(api.url + uploads[a.which]!.url);
        if (a.tamper) url.searchParams.set(a.tamper.key, a.tamper.value);
        const put = await fetch(url, { method: 'PUT', headers: a.contentType ? { 'content-type': a.contentType } : {}, body: new Uint8Array(a.body) });
        expect(put.status, `${a.contentType} ${a.body.length} ${JSON.stringify(a.tamper)}`).toBeLessThan(500);
        if (put.status === 201) {
          expect(a.tamper === undefined || url.searchParams.toString() === new URL(api.url + uploads[a.which]!.url).searchParams.toString()).toBe(true);
          expect(a.contentType).toBe('image/png');
          expect(a.body.length).toBeLessThanOrEqual(64);
        }
      }),
      { numRuns: Math.max(50, Math.ceil(RUNS / 10)), seed: Number(process.env.FUZZ_SEED ?? 20261123) },
    );
  }, 120_000);

  it('refuses every webhook URL whose IP literal carries a private IPv4 address, in every IPv6 form', () => {
    const privateV4 = fc.oneof(
      fc.tuple(fc.constant(127), fc.nat(255), fc.nat(255), fc.nat(255)),
      fc.tuple(fc.constant(10), fc.nat(255), fc.nat(255), fc.nat(255)),
      fc.tuple(fc.constant(192), fc.constant(168), fc.nat(255), fc.nat(255)),
      fc.tuple(fc.constant(169), fc.constant(254), fc.nat(255), fc.nat(255)),
      fc.tuple(fc.constant(172), fc.integer({ min: 16, max: 31 }), fc.nat(255), fc.nat(255)),
    );
    const hex = (a: number, b: number) => ((a << 8) | b).toString(16);
    fc.assert(
      fc.property(
        privateV4,
        fc.constantFrom('compat', 'mapped', 'translated', 'nat64', 'nat64-local', '6to4', 'dotted-mapped', 'trailing-dot'),
        ([a, b, c, d], form) => {
          const v4 = `${a}.${b}.${c}.${d}`;
          const host = {
            compat: `[::${v4}]`,
            mapped: `[::ffff:${hex(a, b)}:${hex(c, d)}]`,
            translated: `[::ffff:0:${v4}]`,
            nat64: `[64:ff9b::${v4}]`,
            'nat64-local': `[64:ff9b:1::${hex(a, b)}:${hex(c, d)}]`,
            '6to4': `[2002:${hex(a, b)}:${hex(c, d)}::1]`,
            'dotted-mapped': `[::ffff:${v4}]`,
            'trailing-dot': `${v4}.`,
          }[form];
          const problem = urlProblem(`https://${host}/hook`, { requireHttps: true, allowPrivate: false });
          expect([host, problem]).toEqual([host, expect.any(String)]);
        },
      ),
      { numRuns: Math.max(200, RUNS), seed: Number(process.env.FUZZ_SEED ?? 20261123) },
    );
  });
});
