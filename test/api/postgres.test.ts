// The HTTP API on STORE=postgres, end to end: a real worker process woken by NOTIFY (no poke: the
// API has no worker URL and the worker's poll is a minute), status with ETag, the image from the
// assets folder, the list, cancel, and an idempotent replay.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleBody } from '../helpers/concept.js';
import { type ApiFixture, startApi, waitForJob } from '../helpers/api.js';
import { type PostgresFixture, postgresFixture } from '../helpers/postgres.js';
import { type Proc, startWorker, stop } from '../../scripts/processes.js';

let fx: PostgresFixture;
let api: ApiFixture;
let worker: Proc;

beforeAll(async () => {
  fx = await postgresFixture();
  worker = await startWorker({ ...fx.env, POLL_INTERVAL_MS: '60000', RENDER_DELAY_MS: '300', HEARTBEAT_MS: '100', LEASE_MS: '3000' });
  api = await startApi({ ...fx.env, WORKER_URL: 'none' });
});
afterAll(async () => {
  await api?.close();
  if (worker) await stop(worker);
  await fx?.cleanup();
});

const post = (url: string, body?: unknown, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });

describe('the HTTP API on Postgres', () => {
  it('creates, is picked up without a poke, polls with ETag/304, lists and serves the image', async () => {
    const res = await post(`${api.url}/api/jobs/render`, { ...exampleBody, projectId: 'pg-api' }, { 'idempotency-key': 'once' });
    expect(res.status).toBe(202);
    const created = (await res.json()) as Record<string, string>;
    const replay = await post(`${api.url}/api/jobs/render`, { ...exampleBody, projectId: 'pg-api' }, { 'idempotency-key': 'once' });
    expect(replay.status).toBe(200);
    expect(((await replay.json()) as { jobId: string }).jobId).toBe(created.jobId);

    const done = await waitForJob(api, 'pg-api', created.jobId!, (j) => j.status === 'completed', 10_000);
    const first = await fetch(api.url + created.pollUrl);
    const etag = first.headers.get('etag')!;
    expect((await fetch(api.url + created.pollUrl, { headers: { 'if-none-match': etag } })).status).toBe(304);
    const image = await fetch(new URL(done.imageUrl, api.url));
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/png');

    const list = (await (await fetch(`${api.url}/api/jobs?projectId=pg-api`)).json()) as { jobs: Array<{ jobId: string }> };
    expect(list.jobs.map((j) => j.jobId)).toEqual([created.jobId]);
  });

  it('cancels a job', async () => {
    const created = (await (await post(`${api.url}/api/jobs/render`, { ...exampleBody, projectId: 'pg-cancel' })).json()) as Record<string, string>;
    const cancelled = await post(api.url + created.cancelUrl);
    expect(cancelled.status).toBe(200);
    await waitForJob(api, 'pg-cancel', created.jobId!, (j) => j.status === 'cancelled', 10_000);
  });
});
