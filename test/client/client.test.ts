// The client SDK against the real API and a real worker process: waits over SSE and over polling,
// one connection per job however many wait, a vanished job is an error and not a hang, every wait
// is capped and abortable, and streams that end at the function's budget are resumed.
import { describe, expect, it } from 'vitest';
import { createClient, type RenderRequest, RenderJobsError } from '../../client/index.js';
import { keys } from '../../shared/store/keys.js';
import { useWorkerAndApi } from '../helpers/api.js';
import { exampleBody } from '../helpers/concept.js';

/** Every request the client made, by path. */
const seen: string[] = [];
const counting: typeof fetch = (input, init) => {
  seen.push(new URL(String(input)).pathname);
  return fetch(input, init);
};

// A 2 s function budget: event streams end (and are resumed) during a 2.5 s render.
const fx = useWorkerAndApi({ RENDER_DELAY_MS: '2500', POLL_INTERVAL_MS: '100', FUNCTION_BUDGET_MS: '2000', WORKER_CONCURRENCY: '8' });

const request: RenderRequest = { ...(exampleBody as unknown as RenderRequest), projectId: 'sdk' };

describe.each([
  ['Server-Sent Events', true],
  ['polling', false],
])('jobs.createAndWait over %s', (_label, sse) => {
  it('resolves with the completed job, reporting progress on the way', async () => {
    const client = createClient({ baseUrl: fx.api.url, sse, fetch: counting });
    const progress: number[] = [];
    seen.length = 0;
    const job = await client.jobs.createAndWait(request, { onProgress: (v) => progress.push(v.job.progress), maxWaitMs: 30_000 });
    expect(job.status).toBe('completed');
    expect(job.imageUrl).toMatch(/\/image\?projectId=sdk$/);
    expect(progress.at(-1)).toBe(100);
    expect(progress.some((p) => p > 0 && p < 100)).toBe(true);
    expect(client.dispatcher.size).toBe(0);
    if (sse) {
      // The 2.5 s render outlived a 2 s stream: the client reconnected and went on.
      expect(seen.filter((p) => p.endsWith('/events')).length).toBeGreaterThanOrEqual(2);
    } else {
      expect(seen.filter((p) => p.endsWith('/events'))).toEqual([]);
    }
  });

  it('shares one subscription per job among many waits, and drops them all when the jobs end', async () => {
    const client = createClient({ baseUrl: fx.api.url, sse, projectId: 'sdk' });
    const a = await client.jobs.create(request);
    const b = await client.jobs.create(request);
    const waits = Array.from({ length: 20 }, (_, i) => client.jobs.wait(i % 2 ? a.jobId : b.jobId, { maxWaitMs: 30_000 }));
    await new Promise((r) => setTimeout(r, 50));
    expect(client.dispatcher.size).toBe(2);
    const jobs = await Promise.all(waits);
    expect(new Set(jobs.map((j) => j.jobId))).toEqual(new Set([a.jobId, b.jobId]));
    expect(client.dispatcher.size).toBe(0);
  });

  it('rejects with not_found for a job that does not exist, or vanishes while waited on', async () => {
    const client = createClient({ baseUrl: fx.api.url, sse, projectId: 'sdk' });
    const missing = await client.jobs.wait('nosuchjob', { maxWaitMs: 10_000 }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(RenderJobsError);
    expect(missing).toMatchObject({ code: 'not_found' });
    const job = await client.jobs.create(request);
    const waiting = client.jobs.wait(job.jobId, { maxWaitMs: 10_000 }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 300));
    await fx.api.ctx.store.delete(keys.job('sdk', job.jobId));
    expect(await waiting).toMatchObject({ code: 'not_found' });
    expect(client.dispatcher.size).toBe(0);
  });

  it('caps every wait, honours an AbortSignal, and leaves no listener behind', async () => {
    const client = createClient({ baseUrl: fx.api.url, sse, projectId: 'sdk' });
    const job = await client.jobs.create(request);
    const started = Date.now();
    expect(await client.jobs.wait(job.jobId, { maxWaitMs: 300 }).catch((e: unknown) => e)).toMatchObject({ code: 'wait_timeout' });
    expect(Date.now() - started).toBeLessThan(2_000);
    const abort = new AbortController();
    const waiting = client.jobs.wait(job.jobId, { signal: abort.signal }).catch((e: unknown) => e);
    abort.abort();
    expect(await waiting).toMatchObject({ code: 'aborted' });
    expect(client.dispatcher.size).toBe(0);
  });
});

describe('the events route', () => {
  it('sends ids, ends before the budget with a retry hint, and does not repeat what Last-Event-ID says was seen', async () => {
    const client = createClient({ baseUrl: fx.api.url, projectId: 'sdk' });
    const job = await client.jobs.create({ ...request, maxAttempts: 1 });
    const t0 = Date.now();
    const res = await fetch(`${fx.api.url}/api/jobs/${job.jobId}/events?projectId=sdk`);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = await res.text();
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(text).toMatch(/^id: \S+\nevent: status\ndata: \{/m);
    expect(text).toMatch(/^retry: \d+$/m);
    const ids = [...text.matchAll(/^id: (\S+)$/gm)].map((m) => m[1]!);
    // Resuming from the last id seen: nothing is repeated unless the job changed since.
    const again = await fetch(`${fx.api.url}/api/jobs/${job.jobId}/events?projectId=sdk`, { headers: { 'last-event-id': ids.at(-1)! } });
    const resumed = [...(await again.text()).matchAll(/^id: (\S+)$/gm)].map((m) => m[1]!);
    expect(resumed).not.toContain(ids.at(-1));
    await client.jobs.cancel(job.jobId);
  });

  it('answers 404 JSON for an unknown job', async () => {
    const res = await fetch(`${fx.api.url}/api/jobs/nosuchjob/events?projectId=sdk`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'not_found' } });
  });
});

describe('jobs.create with an idempotency key', () => {
  it('retries a create whose answer was lost and gets the same job, not a second one', async () => {
    // The first answer never reaches the client (the server did the work): what a dropped
    // connection after the write looks like.
    let dropped = 0;
    const losing: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (new URL(String(input)).pathname === '/api/jobs/render' && dropped++ === 0) throw new TypeError('fetch failed');
      return res;
    };
    const client = createClient({ baseUrl: fx.api.url, fetch: losing });
    const created = await client.jobs.create({ ...request, projectId: 'sdk-idem' }, { idempotencyKey: 'order-1138' });
    expect(dropped).toBe(2);
    const listed = await client.jobs.list({ projectId: 'sdk-idem' });
    expect(listed.jobs.map((j) => j.jobId)).toEqual([created.jobId]);
    // Without a key, a lost answer is not retried: the caller cannot know whether a job exists.
    const plain = createClient({ baseUrl: fx.api.url, fetch: (i, init) => ((dropped = 0), losing(i, init)) });
    await expect(plain.jobs.create({ ...request, projectId: 'sdk-idem' })).rejects.toMatchObject({ code: 'network' });
  });
});
