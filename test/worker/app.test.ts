// The worker's HTTP face and the API's poke: secrets, health, and a create that never waits.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClaimLoop } from '../../worker/claim-loop.js';
import { createWorkerApp } from '../../worker/app.js';
import { FsObjectStore } from '../../shared/store/fs-store.js';
import { exampleBody } from '../helpers/concept.js';
import { silentLog, testDeps } from '../helpers/deps.js';
import { startApi, waitForJob } from '../helpers/api.js';
import { TimedProvider } from '../helpers/providers.js';
import { tempDir } from '../helpers/stores.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  tmp = await tempDir();
});
afterAll(() => tmp.cleanup());

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const SECRET = 'a-worker-secret-of-32-characters';

describe('worker HTTP', () => {
  it('answers /healthz, refuses pokes without the secret, accepts them with it', async () => {
    const store = new FsObjectStore(path.join(tmp.dir, 'w1'));
    const loop = new ClaimLoop(testDeps(store), { workerId: 'w1', concurrency: 1, provider: new TimedProvider(10) });
    const server = createWorkerApp({ loop, secret: SECRET, workerId: 'w1', log: silentLog }).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const poke = (auth?: string, body = '{}') =>
      fetch(`${url}/process`, { method: 'POST', headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) }, body });

    // Without the secret, only the answer: no host, pid or load (SECURITY.md).
    expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ ok: true, stopping: false });
    expect(await (await fetch(`${url}/healthz`, { headers: { authorization: `Bearer ${SECRET}` } })).json()).toMatchObject({
      ok: true,
      workerId: 'w1',
      active: 0,
    });
    expect((await poke()).status).toBe(401);
    expect((await poke('Bearer wrong-secret-wrong-secret-xx')).status).toBe(401);
    expect((await poke(`Bearer ${SECRET}`)).status).toBe(202);
    expect((await poke(`Bearer ${SECRET}`, '{"jobId":"../x","projectId":"p"}')).status).toBe(400);
    expect((await poke(`Bearer ${SECRET}`, '{bad')).status).toBe(400);
    server.close();
  });
});

describe('the API and a worker that hangs', () => {
  it('answers create in milliseconds even when the worker never responds', async () => {
    const hung = createServer(() => undefined); // accepts, never answers
    const hungUrl = await listen(hung);
    const api = await startApi({ JOBS_DIR: path.join(tmp.dir, 'hung'), WORKER_URL: hungUrl, POKE_TIMEOUT_MS: '3000' });
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      const res = await fetch(`${api.url}/api/jobs/render`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(exampleBody),
      });
      times.push(performance.now() - t);
      expect(res.status).toBe(202);
    }
    expect(Math.max(...times)).toBeLessThan(500);
    await api.close();
    hung.closeAllConnections();
    hung.close();
  });
});

describe('the API with a secret-protected worker', () => {
  it('pokes with the secret; /process needs it too', async () => {
    const dir = path.join(tmp.dir, 'secret');
    const store = new FsObjectStore(dir);
    // A poll interval far longer than the test: only a poke can start the job quickly.
    const loop = new ClaimLoop(testDeps(store, { queue: { pollIntervalMs: 60_000 } }), { workerId: 'ws', concurrency: 1, provider: new TimedProvider(10) });
    const worker = createWorkerApp({ loop, secret: SECRET, workerId: 'ws', log: silentLog }).listen(0, '127.0.0.1');
    await new Promise((r) => worker.once('listening', r));
    const workerUrl = `http://127.0.0.1:${(worker.address() as AddressInfo).port}`;
    loop.start();
    const api = await startApi({ JOBS_DIR: dir, WORKER_URL: workerUrl, WORKER_SECRET: SECRET });

    const created = (await (
      await fetch(`${api.url}/api/jobs/render`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(exampleBody) })
    ).json()) as Record<string, string>;
    const done = await waitForJob(api, created.projectId!, created.jobId!, (j) => j.status === 'completed', 5000);
    expect(done.workerId).toBe('ws');

    expect((await fetch(api.url + created.processUrl, { method: 'POST' })).status).toBe(401);
    const ok = await fetch(api.url + created.processUrl, { method: 'POST', headers: { authorization: `Bearer ${SECRET}` } });
    expect(ok.status).toBe(202);
    expect(await ok.json()).toMatchObject({ status: 'completed', handledBy: 'worker' });

    await loop.stop(1000);
    await api.close();
    worker.close();
  });
});
