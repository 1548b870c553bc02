// What the Supabase backend adds to the shared contract: the real service's error shapes, retries,
// timeouts, cache headers and signed URLs, against the msw stand-in.
import { describe, expect, it } from 'vitest';
import { StoreAuthError, StoreConflictError, StoreRequestError, StoreUnavailableError } from '../../shared/errors.js';
import { nextRequestsFail } from '../stand-ins/faults.js';
import { supabaseFixture } from '../helpers/stores.js';

describe.each([
  ['errors as HTTP 400 with the code in the body', false],
  ['errors with their real HTTP status', true],
])('SupabaseObjectStore, %s', (_label, realStatus) => {
  it('maps "The resource already exists" to a create-only conflict', async () => {
    const { store } = await supabaseFixture({ realStatus });
    await store.put('leases/j/1', 'a', { createOnly: true });
    await expect(store.put('leases/j/1', 'b', { createOnly: true })).rejects.toBeInstanceOf(StoreConflictError);
  });

  it('retries a LockTimeout and a 500, then succeeds', async () => {
    const { store, standIn } = await supabaseFixture({ realStatus });
    standIn.faults = nextRequestsFail(2, { kind: 'status', status: 503 });
    await store.put('jobs/p/a.json', '{}');
    standIn.faults = nextRequestsFail(2, { kind: 'status', status: 500 });
    expect((await store.get('jobs/p/a.json'))?.body.toString()).toBe('{}');
    expect(standIn.counts).toEqual({ upload: 3, download: 3 });
  });

  it('gives up after its retries with a retryable error', async () => {
    const { store, standIn } = await supabaseFixture({ realStatus, retries: 2 });
    standIn.faults = nextRequestsFail(10, { kind: 'status', status: 544 });
    const err = await store.get('jobs/p/a.json').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect((err as StoreUnavailableError).retryable).toBe(true);
    expect(standIn.counts.download).toBe(3);
  });
});

describe('SupabaseObjectStore', () => {
  it('writes every object with cache-control max-age=0, so no CDN serves an old status', async () => {
    const { store, standIn } = await supabaseFixture();
    await store.put('jobs/p/j.json', '{"status":"pending"}', { contentType: 'application/json' });
    await store.put('leases/j/1', 'x', { createOnly: true });
    expect([...standIn.cacheControlOf.values()]).toEqual(['max-age=0', 'max-age=0']);
  });

  it('retries dropped connections', async () => {
    const { store, standIn } = await supabaseFixture();
    standIn.faults = nextRequestsFail(2, { kind: 'drop' });
    await store.put('jobs/p/a.json', '{"v":1}');
    expect(standIn.file('render-jobs', 'jobs/p/a.json')?.body.toString()).toBe('{"v":1}');
  });

  it('knows a create-only write whose answer was lost as its own, and a stranger’s as a conflict', async () => {
    const { store, standIn } = await supabaseFixture();
    standIn.faults = nextRequestsFail(1, { kind: 'drop-after' });
    await expect(store.put('leases/j/1', 'mine', { createOnly: true })).resolves.toBeUndefined();
    expect(standIn.counts).toEqual({ upload: 1, download: 1 });

    await store.put('leases/k/1', 'theirs', { createOnly: true });
    standIn.faults = nextRequestsFail(1, { kind: 'drop' });
    await expect(store.put('leases/k/1', 'mine', { createOnly: true })).rejects.toBeInstanceOf(StoreConflictError);
  });

  it('knows its own create-only write that landed late, while it was being tried again', async () => {
    const { store, standIn } = await supabaseFixture({ requestTimeoutMs: 200, retries: 2 });
    // The first upload times out and lands at 300 ms, after the check for it found nothing; the
    // retry answers after that: 409, for bytes that are ours.
    let uploads = 0;
    standIn.faults = (op) =>
      op !== 'upload' ? undefined : ++uploads === 1 ? { kind: 'slow', ms: 300 } : uploads === 2 ? { kind: 'slow', ms: 150 } : undefined;
    await expect(store.put('leases/late/1', 'mine', { createOnly: true })).resolves.toBeUndefined();
    expect(standIn.file('render-jobs', 'leases/late/1')?.body.toString()).toBe('mine');
  });

  it('turns a slow answer into a timeout, retried', async () => {
    const { store, standIn } = await supabaseFixture({ requestTimeoutMs: 100, retries: 1 });
    standIn.faults = nextRequestsFail(1, { kind: 'slow', ms: 1_000 });
    const started = Date.now();
    await store.put('jobs/p/slow.json', '{}');
    expect(Date.now() - started).toBeLessThan(900);
    expect(standIn.counts.upload).toBe(2);
  });

  it('fails at once, with a clear message, on a wrong key', async () => {
    const { store, standIn } = await supabaseFixture({ serviceRoleKey: 'not-the-key', retries: 3 });
    const err = await store.get('jobs/p/a.json').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreAuthError);
    expect((err as Error).message).toMatch(/SUPABASE_SERVICE_ROLE_KEY/);
    expect(standIn.counts.download).toBe(1);
  });

  it('reports a missing bucket as an error, never as a missing object', async () => {
    const { store } = await supabaseFixture({ bucket: 'no-such-bucket', retries: 0 });
    await expect(store.get('jobs/p/a.json')).rejects.toBeInstanceOf(StoreRequestError);
  });

  it('keeps images in the assets bucket and signs URLs that serve their bytes until they expire', async () => {
    const { store, standIn } = await supabaseFixture();
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47]);
    await store.put('results/p/j.png', png, { contentType: 'image/png' });
    expect(standIn.file('render-assets', 'results/p/j.png')).toBeDefined();
    expect(standIn.file('render-jobs', 'results/p/j.png')).toBeUndefined();
    const url = await store.signedUrl('results/p/j.png', 60);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await res.arrayBuffer()).equals(png)).toBe(true);
    const expired = await fetch(await store.signedUrl('results/p/j.png', -1));
    expect(expired.status).toBe(400);
    expect(await expired.json()).toMatchObject({ statusCode: '400', message: 'jwt expired' });
  });

  it('hands out signed upload URLs that create the object once', async () => {
    const { store } = await supabaseFixture();
    const up = await store.signedUpload('uploads/p/ref-1.png');
    const put = () => fetch(up.url, { method: up.method, headers: { ...up.headers, 'content-type': 'image/png' }, body: new Uint8Array([1, 2, 3]) });
    expect((await put()).status).toBe(200);
    expect((await store.get('uploads/p/ref-1.png'))?.body).toEqual(Buffer.from([1, 2, 3]));
    expect((await put()).status).toBe(400);
  });

  it('pages listings past folder entries, and rejects a cursor it did not hand out', async () => {
    const { store } = await supabaseFixture();
    for (const k of ['q/a', 'q/b', 'q/sub/x', 'q/c']) await store.put(k, k);
    const first = await store.list('q/', { limit: 2 });
    expect(first.items.map((i) => i.name)).toEqual(['a', 'b']);
    const second = await store.list('q/', { limit: 2, cursor: first.cursor });
    expect(second.items.map((i) => i.name)).toEqual(['c']);
    await expect(store.list('q/', { cursor: 'b' })).rejects.toMatchObject({ status: 400 });
  });
});
