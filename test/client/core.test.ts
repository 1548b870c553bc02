// The client's request core: retries what is safe to retry (honouring Retry-After), never repeats a
// create the server may have run, and turns error bodies into typed errors.
import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { createClient, type CreateRequest, RenderJobsError } from '../../client/index.js';

// Bodies the (stand-in) server refuses: the SDK's types would not let them through.
const unchecked = (body: object) => body as CreateRequest;
import { interceptWith } from '../stand-ins/msw.js';

const BASE = 'http://api.render-jobs.test';
let answers: Array<() => Response> = [];
const calls: Array<{ method: string; at: number }> = [];
interceptWith([
  http.all(`${BASE}/*`, ({ request }) => {
    calls.push({ method: request.method, at: Date.now() });
    return (answers.shift() ?? (() => HttpResponse.json({ error: { code: 'internal_error', message: 'no answer scripted' } }, { status: 500 })))();
  }),
]);
const view = { job: { jobId: 'j', status: 'pending' }, pollAfterMs: 1000, queue: null };

describe('client request core', () => {
  it('retries a 503 and a 429 on a read, waiting as long as Retry-After says', async () => {
    calls.length = 0;
    answers = [
      () => HttpResponse.json({ error: { code: 'store_unavailable', message: 'try again' } }, { status: 503 }),
      () => HttpResponse.json({ error: { code: 'rate_limited', message: 'slow down' } }, { status: 429, headers: { 'retry-after': '1' } }),
      () => HttpResponse.json(view),
    ];
    const client = createClient({ baseUrl: BASE, projectId: 'p' });
    expect(await client.jobs.retrieve('j')).toEqual(view);
    expect(calls).toHaveLength(3);
    expect(calls[2]!.at - calls[1]!.at).toBeGreaterThanOrEqual(950);
  });

  it('does not repeat a create after a 500 (it may have run), but does after a 429', async () => {
    calls.length = 0;
    answers = [() => HttpResponse.json({ error: { code: 'internal_error', message: 'boom' } }, { status: 500 })];
    const client = createClient({ baseUrl: BASE, projectId: 'p' });
    const err = await client.jobs.create(unchecked({ renderType: 'axonometric' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RenderJobsError);
    expect(err).toMatchObject({ code: 'internal_error', status: 500 });
    expect(calls).toHaveLength(1);
    answers = [
      () => HttpResponse.json({ error: { code: 'rate_limited', message: '' } }, { status: 429, headers: { 'retry-after': '0' } }),
      () => HttpResponse.json({ jobId: 'x' }, { status: 202 }),
    ];
    expect(await client.jobs.create(unchecked({ renderType: 'axonometric' }))).toEqual({ jobId: 'x' });
  });

  it('gives the server’s code, message and details, and gives up after its retries', async () => {
    answers = [
      () => HttpResponse.json({ error: { code: 'invalid_request', message: 'Invalid render request.', details: [{ path: ['site'] }] } }, { status: 400 }),
    ];
    const client = createClient({ baseUrl: BASE, projectId: 'p', maxRetries: 1 });
    expect(await client.jobs.create(unchecked({})).catch((e: unknown) => e)).toMatchObject({
      code: 'invalid_request',
      status: 400,
      details: [{ path: ['site'] }],
    });
    calls.length = 0;
    answers = [() => HttpResponse.error(), () => HttpResponse.error()];
    expect(await client.jobs.retrieve('j').catch((e: unknown) => e)).toMatchObject({ code: 'network' });
    expect(calls).toHaveLength(2);
  });
});
