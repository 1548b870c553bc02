// Issue 12, servers and the "decide" items: security headers on every answer (the dashboard
// especially), a Host check and loopback binding for local use, a /healthz that names nothing
// without the worker secret, no internal error text in job.error, no symlinks followed in JOBS_DIR.
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config.js';
import { claimJob } from '../../shared/queue/claim.js';
import { enqueueJob } from '../../shared/queue/enqueue.js';
import { runJob } from '../../shared/runner/run-job.js';
import { FsObjectStore } from '../../shared/store/fs-store.js';
import { createWorkerApp } from '../../worker/app.js';
import { ClaimLoop } from '../../worker/claim-loop.js';
import { type ApiFixture, startApi } from '../helpers/api.js';
import { smallRequest } from '../helpers/concept.js';
import { silentLog, testDeps } from '../helpers/deps.js';
import { FailingProvider, TimedProvider } from '../helpers/providers.js';
import { tempDir } from '../helpers/stores.js';

/** A GET with a Host header of our choosing (fetch will not send one). */
function getWithHost(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

// On fs only: headers and Host checks come before any store is read (the symlink case below is the fs store's own).
describe('servers', () => {
  let api: ApiFixture;
  let tmp: { dir: string; cleanup(): Promise<void> };
  beforeAll(async () => {
    tmp = await tempDir();
    api = await startApi({ JOBS_DIR: tmp.dir, WORKER_URL: 'none' });
  });
  afterAll(async () => {
    await api.close();
    await tmp.cleanup();
  });

  it('sends CSP with frame-ancestors, X-Frame-Options, nosniff and Referrer-Policy on the dashboard and the API (before: none)', async () => {
    for (const path of ['/', '/api/jobs?projectId=p', '/api/jobs/render', '/no-such-route']) {
      const res = await fetch(api.url + path);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect([path, csp]).toEqual([path, expect.stringContaining("frame-ancestors 'none'")]);
      expect(csp).toContain("script-src 'self'");
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    }
  });

  it('answers only loopback Host names when bound to loopback (before: any Host, so DNS rebinding reached it)', async () => {
    expect(await getWithHost(`${api.url}/api/jobs?projectId=p`, 'rebind.attacker.example')).toBe(421);
    expect(await getWithHost(`${api.url}/`, 'rebind.attacker.example:3000')).toBe(421);
    for (const host of ['localhost:3000', '127.0.0.1', '[::1]:3000']) expect(await getWithHost(`${api.url}/api/jobs?projectId=p`, host)).toBe(200);
  });

  it('binds loopback locally and every interface (null) in production or on Railway; ALLOWED_HOSTS overrides the check', () => {
    expect(loadConfig({}).listen).toEqual({ host: '127.0.0.1', allowedHosts: ['localhost', '127.0.0.1', '[::1]'] });
    expect(loadConfig({ RAILWAY_ENVIRONMENT: 'production', PORT: '8080' }).listen).toEqual({ host: null, allowedHosts: null });
    expect(loadConfig({ HOST: '0.0.0.0', ALLOWED_HOSTS: 'render.example.com, localhost' }).listen).toEqual({
      host: '0.0.0.0',
      allowedHosts: ['render.example.com', 'localhost'],
    });
    expect(loadConfig({ ALLOWED_HOSTS: '*' }).listen.allowedHosts).toBeNull();
  });
});

describe('worker server', () => {
  it('checks Host, sends the headers, and tells /healthz callers without the secret only whether it is up', async () => {
    const tmp = await tempDir();
    const loop = new ClaimLoop(testDeps(new FsObjectStore(tmp.dir)), { workerId: 'host-1234-ab', concurrency: 1, provider: new TimedProvider(10) });
    const server = createWorkerApp({ loop, secret: 'worker-secret-0123456789', workerId: 'host-1234-ab', log: silentLog, allowedHosts: ['127.0.0.1'] }).listen(
      0,
      '127.0.0.1',
    );
    await new Promise((r) => server.once('listening', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const open = await fetch(`${url}/healthz`);
      expect(open.headers.get('x-content-type-options')).toBe('nosniff');
      const body = await open.json();
      expect(body).toEqual({ ok: true, stopping: false }); // before: workerId (host and pid), load, memory
      expect(JSON.stringify(body)).not.toContain('host-1234');
      expect(await getWithHost(`${url}/healthz`, 'rebind.attacker.example')).toBe(421);
    } finally {
      server.close();
      await tmp.cleanup();
    }
  });
});

describe('decided: what a job and the store reveal', () => {
  it('keeps internal error text out of job.error (before: the raw message, file paths and all)', async () => {
    const tmp = await tempDir();
    try {
      const deps = testDeps(new FsObjectStore(tmp.dir));
      const job = await enqueueJob(deps, { ...smallRequest('errors'), maxAttempts: 1 });
      const claim = await claimJob(deps, job, { workerId: 'w' });
      if (claim.kind !== 'run') throw new Error(`expected run, got ${claim.kind}`);
      const provider = new FailingProvider(() => new TypeError("Cannot read properties of undefined (reading 'x') at /srv/app/secret-path.js:12"));
      const done = await runJob(claim.holder, { provider });
      expect(done).toMatchObject({ status: 'failed', errorCode: 'internal_error', error: 'The render failed with an internal error.' });
      expect(JSON.stringify(done)).not.toContain('secret-path');
    } finally {
      await tmp.cleanup();
    }
  });

  it('does not follow a symlink placed inside JOBS_DIR (before: it served the file it pointed at)', async () => {
    const tmp = await tempDir();
    const outside = path.join(tmp.dir, '..', `outside-${path.basename(tmp.dir)}.json`);
    try {
      await writeFile(outside, JSON.stringify({ secret: 'outside the store' }));
      await mkdir(path.join(tmp.dir, 'jobs', 'p'), { recursive: true });
      await symlink(outside, path.join(tmp.dir, 'jobs', 'p', 'linked.json'));
      const store = new FsObjectStore(tmp.dir);
      expect(await store.get('jobs/p/linked.json')).toBeNull();
      expect(await store.stat('jobs/p/linked.json')).toBeNull();
      expect((await store.list('jobs/p/')).items).toEqual([]);
    } finally {
      await rm(outside, { force: true });
      await tmp.cleanup();
    }
  });
});

describe('the dashboard on Vercel', () => {
  it('is served with the same headers as the local server (vercel.json)', async () => {
    const { readFile } = await import('node:fs/promises');
    const { SECURITY_HEADERS } = await import('../../shared/http/guard.js');
    const vercel = JSON.parse(await readFile(new URL('../../vercel.json', import.meta.url), 'utf8')) as {
      headers: Array<{ source: string; headers: Array<{ key: string; value: string }> }>;
    };
    const all = vercel.headers.find((h) => h.source === '/(.*)')!;
    expect(Object.fromEntries(all.headers.map((h) => [h.key, h.value]))).toEqual(SECURITY_HEADERS);
  });
});
