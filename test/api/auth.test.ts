// Who may do what: every protected route without, with a wrong, and with the right credential;
// jobs bound to the Supabase user who made them (another user gets 404 everywhere); per-user
// create limits (429 + Retry-After); idempotent creates over HTTP. What the store holds (owners, rate
// tickets, idempotency records) is tested on every backend.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiFixture, holdClockMidMinute, startApi, useInlineApi } from '../helpers/api.js';
import { onRealServer, type ProcessStoreFixture, selectedProcessStores, tempDir } from '../helpers/stores.js';
import { exampleBody } from '../helpers/concept.js';
import { interceptWith } from '../stand-ins/msw.js';
import { hsToken, JWT_SECRET, jwksProject } from '../stand-ins/supabase-auth.js';
import { createWorkerApp } from '../../worker/app.js';
import { ClaimLoop } from '../../worker/claim-loop.js';
import { testDeps, silentLog } from '../helpers/deps.js';
import { TimedProvider } from '../helpers/providers.js';
import type { AddressInfo } from 'node:net';
import { insideOneRateWindow } from '../helpers/wait.js';

const API_KEY = 'api-key-0123456789-abcdefghij';
const WORKER_SECRET = 'worker-secret-0123456789';
const CRON_SECRET = 'cron-secret-0123456789';
const body = (projectId = 'authp') => ({ ...exampleBody, projectId });

for (const [name, make] of selectedProcessStores())
  describe(`auth (${name})`, () => {
    let api: ApiFixture;
    let fx: ProcessStoreFixture;
    let jobId: string;
    let alice: string;
    let bob: string;
    beforeAll(async () => {
      fx = await make();
      api = await startApi({
        ...fx.env,
        WORKER_URL: 'none',
        API_KEY,
        AUTH_JWT_SECRET: JWT_SECRET,
        WORKER_SECRET,
        CRON_SECRET,
        CREATE_RATE_PER_MINUTE: '5',
      });
      [alice, bob] = await Promise.all([hsToken('alice'), hsToken('bob')]);
      const res = await fetch(`${api.url}/api/jobs/render`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${alice}` },
        body: JSON.stringify(body()),
      });
      expect(res.status).toBe(202);
      jobId = ((await res.json()) as { jobId: string }).jobId;
    });
    afterAll(async () => {
      await api?.close();
      await fx?.cleanup();
    });

    const routes = () => [
      { name: 'create', method: 'POST', path: '/api/jobs/render', body: body(), ok: 202, cred: 'caller' },
      { name: 'status', method: 'GET', path: `/api/jobs/${jobId}?projectId=authp`, ok: 200, cred: 'caller' },
      { name: 'list', method: 'GET', path: '/api/jobs?projectId=authp', ok: 200, cred: 'caller' },
      { name: 'events', method: 'GET', path: `/api/jobs/${jobId}/events?projectId=authp`, ok: 200, cred: 'caller' },
      { name: 'image', method: 'GET', path: `/api/jobs/${jobId}/image?projectId=authp&variant=preview`, ok: 409, cred: 'caller' },
      {
        name: 'uploads',
        method: 'POST',
        path: '/api/uploads',
        body: { projectId: 'authp', files: [{ contentType: 'image/png', bytes: 10 }] },
        ok: 201,
        cred: 'caller',
      },
      { name: 'metrics', method: 'GET', path: '/api/metrics', ok: 200, cred: 'caller' },
      { name: 'process', method: 'POST', path: `/api/jobs/${jobId}/process?projectId=authp`, ok: 202, cred: 'worker' },
      { name: 'prune', method: 'GET', path: '/api/cron/prune', ok: 200, cred: 'cron' },
      // Last: it ends the job the others read.
      { name: 'cancel', method: 'POST', path: `/api/jobs/${jobId}/cancel?projectId=authp`, ok: 200, cred: 'caller' },
    ];

    async function call(r: ReturnType<typeof routes>[number], authorization: string | undefined) {
      const ctl = new AbortController();
      const res = await fetch(api.url + r.path, {
        method: r.method,
        headers: { ...(r.body ? { 'content-type': 'application/json' } : {}), ...(authorization ? { authorization } : {}) },
        body: r.body ? JSON.stringify(r.body) : undefined,
        signal: ctl.signal,
      });
      ctl.abort(); // an event stream would go on; its status is all that is asked
      return res.status;
    }

    it('answers every protected route 401 without a credential and with a wrong one, and serves the right one', async () => {
      const table: string[] = [];
      for (const r of routes()) {
        const right = r.cred === 'worker' ? WORKER_SECRET : r.cred === 'cron' ? CRON_SECRET : API_KEY;
        const none = await call(r, undefined);
        const wrong = await call(r, 'Bearer wrong-credential-0123456789');
        const ok = await call(r, `Bearer ${right}`);
        table.push(`${r.name}: ${none} ${wrong} ${ok}`);
        expect([r.name, none, wrong, ok]).toEqual([r.name, 401, 401, r.ok]);
      }
      // The caller routes take a user's token as well; the worker and cron routes do not.
      expect(await call(routes().find((r) => r.name === 'status')!, `Bearer ${alice}`)).toBe(200);
      expect(await call(routes().find((r) => r.name === 'prune')!, `Bearer ${alice}`)).toBe(401);
      expect(table).toHaveLength(10);
    });

    it('refuses expired tokens, tokens for another audience and tokens signed with another secret', async () => {
      const status = routes().find((r) => r.name === 'status')!;
      for (const token of [
        await hsToken('alice', { expiresInS: -60 }),
        await hsToken('alice', { audience: 'anon' }),
        await hsToken('alice', { secret: 'x'.repeat(40) }),
      ]) {
        const res = await fetch(api.url + status.path, { headers: { authorization: `Bearer ${token}` } });
        expect(res.status).toBe(401);
        expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/access token/);
      }
    });

    it('binds a job to its user: another user gets 404 on every route and does not see it listed', async () => {
      const res = await fetch(`${api.url}/api/jobs/render`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${alice}` },
        body: JSON.stringify(body('owned')),
      });
      const { jobId: own } = (await res.json()) as { jobId: string };
      const as = (token: string) => ({ authorization: `Bearer ${token}` });
      const status = await fetch(`${api.url}/api/jobs/${own}?projectId=owned`, { headers: as(alice) });
      expect(status.status).toBe(200);
      expect(((await status.json()) as { job: { ownerId: string } }).job.ownerId).toBe('alice');
      for (const path of [`/api/jobs/${own}?projectId=owned`, `/api/jobs/${own}/events?projectId=owned`, `/api/jobs/${own}/image?projectId=owned`]) {
        const r = await fetch(api.url + path, { headers: as(bob) });
        expect([path, r.status]).toEqual([path, 404]);
      }
      const cancel = await fetch(`${api.url}/api/jobs/${own}/cancel?projectId=owned`, { method: 'POST', headers: as(bob) });
      expect(cancel.status).toBe(404);
      const list = async (token: string) =>
        ((await (await fetch(`${api.url}/api/jobs?projectId=owned`, { headers: as(token) })).json()) as { jobs: Array<{ jobId: string }> }).jobs.map(
          (j) => j.jobId,
        );
      expect(await list(alice)).toEqual([own]);
      expect(await list(bob)).toEqual([]);
      expect(await list(API_KEY)).toEqual([own]); // the trusted server sees every job
      // Bob's cancel changed nothing.
      const after = (await (await fetch(`${api.url}/api/jobs/${own}?projectId=owned`, { headers: as(alice) })).json()) as { job: { status: string } };
      expect(after.job.status).toBe('pending');
    });

    it("fills a user's page with their own jobs, however many of others' are newer", async () => {
      const create = async (token: string) =>
        (
          (await (
            await fetch(`${api.url}/api/jobs/render`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
              body: JSON.stringify(body('paged')),
            })
          ).json()) as { jobId: string }
        ).jobId;
      const mine = [await create(alice), await create(alice)];
      for (let i = 0; i < 3; i++) await create(bob); // newer than Alice's: a shared listing's first page
      const page = (await (await fetch(`${api.url}/api/jobs?projectId=paged&limit=2`, { headers: { authorization: `Bearer ${alice}` } })).json()) as {
        jobs: Array<{ jobId: string }>;
        next: string | null;
      };
      expect(page.jobs.map((j) => j.jobId)).toEqual([mine[1], mine[0]]);
    });

    it('limits creates per user with 429 and Retry-After, and leaves other users alone', async () => {
      const carol = await hsToken('carol');
      const create = (token: string) =>
        fetch(`${api.url}/api/jobs/render`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify(body('rate')),
        });
      const statuses = [];
      await insideOneRateWindow();
      for (let i = 0; i < 7; i++) statuses.push((await create(carol)).status);
      expect(statuses).toEqual([202, 202, 202, 202, 202, 429, 429]);
      const limited = await create(carol);
      expect(limited.status).toBe(429);
      const retryAfter = Number(limited.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(await limited.json()).toMatchObject({ error: { code: 'rate_limited' } });
      expect((await create(await hsToken('dave'))).status).toBe(202);
    });

    it('makes one job of creates that share an Idempotency-Key, and refuses the key for another request', async () => {
      const headers = { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}`, 'idempotency-key': 'checkout-7f3a' };
      const answers = await Promise.all(
        Array.from({ length: 6 }, () => fetch(`${api.url}/api/jobs/render`, { method: 'POST', headers, body: JSON.stringify(body('idem')) })),
      );
      const bodies = (await Promise.all(answers.map((r) => r.json()))) as Array<{ jobId: string }>;
      expect(new Set(bodies.map((b) => b.jobId)).size).toBe(1);
      expect(answers.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 202]);
      expect(answers.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(5);
      const other = await fetch(`${api.url}/api/jobs/render`, { method: 'POST', headers, body: JSON.stringify({ ...body('idem'), maxAttempts: 1 }) });
      expect(other.status).toBe(422);
      expect(await other.json()).toMatchObject({ error: { code: 'idempotency_key_reused' } });
      const bad = await fetch(`${api.url}/api/jobs/render`, {
        method: 'POST',
        headers: { ...headers, 'idempotency-key': 'has space' },
        body: JSON.stringify(body('idem')),
      });
      expect(bad.status).toBe(400);
    });
  });

// Verifying a token does not depend on the store (the store-bound part, owners, is covered above).
if (!onRealServer)
  describe('auth with a Supabase JWKS (asymmetric signing keys)', () => {
    it('verifies tokens against the published keys, fetching them once', async () => {
      const project = await jwksProject('https://abcdefghijklmnop.supabase.co');
      interceptWith(project.handlers);
      const tmp = await tempDir();
      const api = await startApi({
        JOBS_DIR: tmp.dir,
        WORKER_URL: 'none',
        AUTH_JWKS_URL: project.jwksUrl,
        AUTH_JWT_ISSUER: 'https://abcdefghijklmnop.supabase.co/auth/v1',
      });
      try {
        const token = await project.token('erin');
        const created = await fetch(`${api.url}/api/jobs/render`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify(body('jwks')),
        });
        expect(created.status).toBe(202);
        const { jobId } = (await created.json()) as { jobId: string };
        const read = await fetch(`${api.url}/api/jobs/${jobId}?projectId=jwks`, { headers: { authorization: `Bearer ${token}` } });
        expect(((await read.json()) as { job: { ownerId: string } }).job.ownerId).toBe('erin');
        expect(project.fetches).toBe(1);
        const forged = await hsToken('erin'); // HS256 with some secret: not one of the project's keys
        expect((await fetch(`${api.url}/api/jobs/${jobId}?projectId=jwks`, { headers: { authorization: `Bearer ${forged}` } })).status).toBe(401);
      } finally {
        await api.close();
        await tmp.cleanup();
      }
    });
  });

// The worker's own HTTP server: its secret check does not depend on the store.
if (!onRealServer)
  describe('worker POST /process', () => {
    it('answers 401 without and with a wrong secret, 202 with the right one', async () => {
      const tmp = await tempDir();
      const { FsObjectStore } = await import('../../shared/store/fs-store.js');
      const loop = new ClaimLoop(testDeps(new FsObjectStore(tmp.dir)), { workerId: 'w', concurrency: 1, provider: new TimedProvider(10) });
      const app = createWorkerApp({ loop, secret: WORKER_SECRET, workerId: 'w', log: silentLog });
      const server = app.listen(0, '127.0.0.1');
      await new Promise<void>((r) => server.once('listening', () => r()));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/process`;
      try {
        const post = (authorization?: string) =>
          fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) }, body: '{}' }).then(
            (r) => r.status,
          );
        expect([await post(), await post('Bearer wrong-secret-0123456789'), await post(`Bearer ${WORKER_SECRET}`)]).toEqual([401, 401, 202]);
      } finally {
        server.close();
        await tmp.cleanup();
      }
    });
  });

// Issue 12: a deployment that follows the README is closed and bounded. Each case was answered
// openly before (noted per case) and is refused now.
// Rate limits count in the store: on every backend.
for (const [name, make] of selectedProcessStores())
  describe(`safe by default: limits per address (${name})`, () => {
    const fx = useInlineApi({ PUBLIC_API: 'true', CREATE_RATE_PER_MINUTE: '3', UPLOAD_RATE_PER_MINUTE: '2' }, make);

    it('limits anonymous callers of a public API per address (creates and upload URLs)', async () => {
      const api = fx.api;
      holdClockMidMinute(api);
      {
        const post = (path: string, b: unknown) =>
          fetch(api.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(b) }).then((r) => r.status);
        const creates = [];
        for (let i = 0; i < 5; i++) creates.push(await post('/api/jobs/render', body('public')));
        expect(creates).toEqual([202, 202, 202, 429, 429]); // before: 202 every time
        const file = { contentType: 'image/png', bytes: 10 };
        expect([
          await post('/api/uploads', { projectId: 'public', files: [file, file] }),
          await post('/api/uploads', { projectId: 'public', files: [file] }),
        ]).toEqual([201, 429]);
      }
    });
  });

// Which routes are closed, decided before the store is read.
if (!onRealServer)
  describe('safe by default: who may call', () => {
    const PROD = { NODE_ENV: 'production', WORKER_SECRET, CRON_SECRET };

    it('refuses a production start with no caller credential, unless PUBLIC_API=true says the API is public', async () => {
      const { loadConfig } = await import('../../shared/config.js');
      // Before: this started, and anyone could create jobs on the operator's OpenAI key.
      expect(() => loadConfig(PROD)).toThrow(/API_KEY or AUTH_JWT_SECRET\/AUTH_JWKS_URL: production needs a caller credential/);
      expect(loadConfig({ ...PROD, API_KEY }).auth.apiKey).toBe(API_KEY);
      expect(loadConfig({ ...PROD, AUTH_JWT_SECRET: JWT_SECRET }).auth.jwt).not.toBeNull();
      expect(loadConfig({ ...PROD, PUBLIC_API: 'true' }).auth.publicApi).toBe(true);
    });

    it('closes /process and the prune cron when caller auth is on and their secrets are unset, and /process reveals nothing', async () => {
      const tmp = await tempDir();
      const api = await startApi({ JOBS_DIR: tmp.dir, WORKER_URL: 'none', API_KEY });
      try {
        const created = await fetch(`${api.url}/api/jobs/render`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
          body: JSON.stringify(body('closed')),
        });
        const { jobId } = (await created.json()) as { jobId: string };
        // Before: 202 with the job's status for anyone, and 200 from the cron for anyone.
        const process = await fetch(`${api.url}/api/jobs/${jobId}/process?projectId=closed`, { method: 'POST' });
        expect(process.status).toBe(401);
        expect(JSON.stringify(await process.json())).not.toMatch(/pending|processing|status/);
        expect(
          (await fetch(`${api.url}/api/jobs/${jobId}/process?projectId=closed`, { method: 'POST', headers: { authorization: `Bearer ${API_KEY}` } })).status,
        ).toBe(401);
        expect((await fetch(`${api.url}/api/cron/prune`)).status).toBe(401);
        expect((await fetch(`${api.url}/api/cron/prune`, { headers: { authorization: `Bearer ${API_KEY}` } })).status).toBe(401);
        // Nothing ran: the job is still waiting.
        const status = await fetch(`${api.url}/api/jobs/${jobId}?projectId=closed`, { headers: { authorization: `Bearer ${API_KEY}` } });
        expect(((await status.json()) as { job: { status: string } }).job.status).toBe('pending');
      } finally {
        await api.close();
        await tmp.cleanup();
      }
    });
  });

// Checking a token's claims does not depend on the store.
if (!onRealServer)
  describe('safe by default: access tokens', () => {
    const ISSUER = 'https://abcdefghijklmnop.supabase.co/auth/v1';
    let api: ApiFixture;
    let tmp: { dir: string; cleanup(): Promise<void> };
    beforeAll(async () => {
      tmp = await tempDir();
      api = await startApi({ JOBS_DIR: tmp.dir, WORKER_URL: 'none', AUTH_JWT_SECRET: JWT_SECRET, AUTH_JWT_ISSUER: ISSUER });
    });
    afterAll(async () => {
      await api.close();
      await tmp.cleanup();
    });
    const statusWith = async (token: string) => {
      const res = await fetch(`${api.url}/api/jobs?projectId=tokens`, { headers: { authorization: `Bearer ${token}` } });
      return { status: res.status, message: ((await res.json()) as { error?: { message: string } }).error?.message };
    };

    it('accepts a Supabase-shaped token: an hour, the configured issuer', async () => {
      expect((await statusWith(await hsToken('hal', { issuer: ISSUER }))).status).toBe(200);
    });

    it.each([
      ['no exp', { expiresInS: null }, /exp/],
      ['an exp a century away', { expiresInS: 100 * 365 * 86_400 }, /lives longer than 86400 s/],
      ['role anon (the anon key)', { claims: { role: 'anon' } }, /Anonymous/],
      ['an anonymous sign-in', { claims: { is_anonymous: true } }, /Anonymous/],
      // Refused before too once AUTH_JWT_ISSUER was set; while it is unset, doctor now says so (below).
      ['another issuer', { issuer: 'https://evil.example/auth/v1' }, /iss/],
    ] as const)('refuses a token with %s', async (_label, opts, message) => {
      const { status, message: text } = await statusWith(await hsToken('ivy', { issuer: ISSUER, ...opts }));
      expect(status).toBe(401);
      expect(text).toMatch(message);
    });

    it('lets anonymous sign-ins in only when AUTH_ALLOW_ANONYMOUS=true, and doctor says when the issuer is unchecked', async () => {
      const { loadConfig } = await import('../../shared/config.js');
      const { runDoctor } = await import('../../cli/doctor.js');
      const other = await startApi({ JOBS_DIR: tmp.dir, WORKER_URL: 'none', AUTH_JWT_SECRET: JWT_SECRET, AUTH_ALLOW_ANONYMOUS: 'true' });
      try {
        const token = await hsToken('jay', { claims: { is_anonymous: true } });
        expect((await fetch(`${other.url}/api/jobs?projectId=tokens`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      } finally {
        await other.close();
      }
      const checks = await runDoctor(loadConfig({ JOBS_DIR: tmp.dir, WORKER_URL: 'none', AUTH_JWT_SECRET: JWT_SECRET }));
      expect(checks.find((c) => c.name === 'jwt issuer')).toMatchObject({ status: 'warn', detail: expect.stringMatching(/AUTH_JWT_ISSUER is not set/) });
      const withIssuer = await runDoctor(loadConfig({ JOBS_DIR: tmp.dir, WORKER_URL: 'none', AUTH_JWT_SECRET: JWT_SECRET, AUTH_JWT_ISSUER: ISSUER }));
      expect(withIssuer.find((c) => c.name === 'jwt issuer')).toBeUndefined();
    });
  });

for (const [name, make] of selectedProcessStores())
  describe(`safe by default: limits that count only real work (${name})`, () => {
    let api: ApiFixture;
    let fx: ProcessStoreFixture;
    beforeAll(async () => {
      fx = await make();
      api = await startApi({ ...fx.env, WORKER_URL: 'none', AUTH_JWT_SECRET: JWT_SECRET, CREATE_RATE_PER_MINUTE: '3', EVENT_STREAMS_PER_CALLER: '2' });
      holdClockMidMinute(api);
    });
    afterAll(async () => {
      await api?.close();
      await fx?.cleanup();
    });

    it('answers replays of an idempotent create without taking a rate ticket', async () => {
      const token = await hsToken('kim');
      const create = (key?: string) =>
        fetch(`${api.url}/api/jobs/render`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...(key ? { 'idempotency-key': key } : {}) },
          body: JSON.stringify(body('replays')),
        }).then((r) => r.status);
      await insideOneRateWindow();
      expect(await create('order-1')).toBe(202);
      const replays = [];
      for (let i = 0; i < 4; i++) replays.push(await create('order-1'));
      expect(replays).toEqual([200, 200, 200, 200]); // before: 200, 200, 429, 429
      expect([await create(), await create(), await create()]).toEqual([202, 202, 429]);
    });

    it('caps the event streams one user holds open (429), and frees a slot when one closes', async () => {
      const token = await hsToken('lee');
      const res = await fetch(`${api.url}/api/jobs/render`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(body('streams')),
      });
      const { jobId } = (await res.json()) as { jobId: string };
      const open = () => {
        const ctl = new AbortController();
        const answer = fetch(`${api.url}/api/jobs/${jobId}/events?projectId=streams`, { headers: { authorization: `Bearer ${token}` }, signal: ctl.signal });
        return { ctl, answer };
      };
      const a = open();
      const b = open();
      expect([(await a.answer).status, (await b.answer).status]).toEqual([200, 200]);
      const c = open();
      expect((await c.answer).status).toBe(429); // before: 200, however many
      // Another user is not counted against this cap (the usual 404 for a job that is not theirs, not 429).
      const other = await fetch(`${api.url}/api/jobs/${jobId}/events?projectId=streams`, { headers: { authorization: `Bearer ${await hsToken('max')}` } });
      expect(other.status).toBe(404);
      a.ctl.abort();
      let again = 429;
      for (let i = 0; i < 50 && again === 429; i++) {
        const d = open();
        again = (await d.answer).status;
        if (again === 429) await new Promise((r) => setTimeout(r, 20));
        d.ctl.abort();
      }
      expect(again).toBe(200);
      b.ctl.abort();
    });
  });
