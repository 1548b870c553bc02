// The stand-in answers as the real Supabase Storage server does, where it matters to us: the same
// raw HTTP assertions run against the stand-in in the main suite and against the real server in
// the real-storage project (../shared/supabase-storage/README.md lists the differences measured
// there). Each run writes under its own fresh folder.
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { StoreConflictError, StoreMisconfiguredError } from '../../shared/errors.js';
import { SupabaseObjectStore } from '../../shared/store/supabase-store.js';
import { onRealServer, supabaseFixture } from '../helpers/stores.js';
import { interceptWith } from '../stand-ins/msw.js';
import { SERVICE_ROLE_KEY, SupabaseStorageStandIn } from '../stand-ins/supabase-storage.js';

interface Server {
  url: string;
  key: string;
  racy: boolean;
}

function standIn(): Server {
  const s = new SupabaseStorageStandIn({ atomicCreate: false });
  interceptWith(s.handlers);
  return { url: s.origin, key: SERVICE_ROLE_KEY, racy: true };
}

// The stand-in in the main suite; the real server in the real-storage project (STORE=supabase-real).
const servers: Array<[string, () => Server]> = onRealServer
  ? [
      [
        'real server',
        () => ({ url: process.env.SUPABASE_URL!, key: process.env.SUPABASE_SERVICE_ROLE_KEY!, racy: process.env.SUPABASE_ATOMIC_CREATE !== 'true' }),
      ],
    ]
  : [['stand-in', standIn]];

function client(server: Server) {
  const headers = { authorization: `Bearer ${server.key}`, apikey: server.key };
  const base = `${server.url}/storage/v1`;
  const written = new Set<string>();
  return {
    written,
    put: (bucket: string, key: string, body: string, upsert = true) =>
      written.add(key) &&
      fetch(`${base}/object/${bucket}/${key}`, { method: 'POST', headers: { ...headers, 'content-type': 'text/plain', 'x-upsert': String(upsert) }, body }),
    get: (bucket: string, key: string) => fetch(`${base}/object/authenticated/${bucket}/${key}`, { headers }),
    list: (bucket: string, prefix: string, limit = 100) =>
      fetch(`${base}/object/list/${bucket}`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ prefix, limit, offset: 0, sortBy: { column: 'name', order: 'asc' } }),
      }),
    remove: (bucket: string, keys: string[]) =>
      fetch(`${base}/object/${bucket}`, {
        method: 'DELETE',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ prefixes: keys }),
      }),
  };
}

const names = async (res: Response) => ((await res.json()) as Array<{ name: string }>).map((e) => e.name);

describe.each(servers)('Supabase Storage as the %s answers', (_label, make) => {
  const server = make();
  const c = client(server);
  const run = `fidelity-${Date.now()}-${randomUUID().slice(0, 8)}`;
  afterAll(() => c.remove('render-jobs', [...c.written]));

  it('lists a prefix case-insensitively, and collapses case variants of a folder into one', async () => {
    for (const k of ['x/Demo/a', 'x/demo/b', 'x/DEMO/c', 'x/demo.1/d', 'x/demox/e']) expect((await c.put('render-jobs', `${run}/${k}`, k)).status).toBe(200);
    expect(await names(await c.list('render-jobs', `${run}/x/demo`))).toEqual(['a', 'b', 'c']);
    expect(await names(await c.list('render-jobs', `${run}/x/Demo`))).toEqual(['a', 'b', 'c']);
    // One folder for the three variants, named after the first in lower(name) order; sorted by full path.
    expect(await names(await c.list('render-jobs', `${run}/x`))).toEqual(['demo.1', 'Demo', 'demox']);
    // Reads stay case-sensitive.
    expect((await c.get('render-jobs', `${run}/x/demo/a`)).status).toBe(400);
  });

  it('keeps folder case variants apart when sorted by another column than name', async () => {
    for (const k of ['f/Demo/a', 'f/demo/b', 'f/DEMO/c', 'f/top']) await c.put('render-jobs', `${run}/${k}`, k);
    const res = await fetch(`${server.url}/storage/v1/object/list/render-jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.key}`, apikey: server.key, 'content-type': 'application/json' },
      body: JSON.stringify({ prefix: `${run}/f`, limit: 100, offset: 0, sortBy: { column: 'created_at', order: 'asc' } }),
    });
    const entries = (await res.json()) as Array<{ name: string; id: string | null }>;
    expect(entries.filter((e) => e.id === null).map((e) => e.name)).toEqual(['DEMO', 'Demo', 'demo']);
    expect(entries.filter((e) => e.id !== null).map((e) => e.name)).toEqual(['top']);
  });

  it('sorts by lower(name), not by code unit', async () => {
    for (const k of ['B', 'a', '1', 'c', 'a_u']) await c.put('render-jobs', `${run}/s/${k}`, k);
    expect(await names(await c.list('render-jobs', `${run}/s`))).toEqual(['1', 'a', 'a_u', 'B', 'c']);
  });

  it('lists and removes in a missing bucket as empty, but refuses to read from it', async () => {
    const list = await c.list('no-such-bucket', 'jobs');
    expect([list.status, await list.json()]).toEqual([200, []]);
    const removed = await c.remove('no-such-bucket', ['jobs/a']);
    expect([removed.status, await removed.json()]).toEqual([200, []]);
    const read = await c.get('no-such-bucket', 'jobs/a');
    expect(((await read.json()) as { message: string }).message).toBe('Bucket not found');
  });

  it('a store on a misnamed bucket fails its first listing, naming the bucket, instead of listing nothing', async () => {
    const store = new SupabaseObjectStore({
      url: server.url,
      serviceRoleKey: server.key,
      bucket: 'render-jobz',
      assetsBucket: 'render-assets',
      atomicCreate: false,
      requestTimeoutMs: 10_000,
      retries: 1,
    });
    const err = await store.list('queue/').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreMisconfiguredError);
    expect((err as Error).message).toMatch(/"render-jobz" \(SUPABASE_BUCKET\)/);
  });

  it('refuses `limit: 0` and keys with characters outside its set', async () => {
    const list = await c.list('render-jobs', run, 0);
    expect(list.status).toBe(400);
    const bad = await c.put('render-jobs', `${run}/a~b`, 'x');
    expect([bad.status, ((await bad.json()) as { code?: string; error: string }).error]).toEqual([400, 'InvalidKey']);
  });

  it('lets concurrent create-only uploads of one new key through in varying numbers when racy', async () => {
    const winners: number[] = [];
    for (let round = 0; round < 4; round++) {
      const key = `${run}/race-${round}`;
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => c.put('render-jobs', key, `t${i}`, false).then((r) => [i, r.status] as const)));
      const won = results.filter(([, status]) => status === 200).map(([i]) => `t${i}`);
      const stored = await (await c.get('render-jobs', key)).text();
      expect(won).toContain(stored);
      winners.push(won.length);
    }
    if (!server.racy) expect(winners).toEqual([1, 1, 1, 1]);
    else expect(Math.min(...winners)).toBeGreaterThanOrEqual(1);
  });
});

if (!onRealServer)
  describe('the stand-in, on demand', () => {
    it('varies the number of racing winners: not always 1, not always all', async () => {
      const server = standIn();
      const c = client(server);
      const winners = new Set<number>();
      for (let round = 0; round < 6; round++) {
        const results = await Promise.all(Array.from({ length: 20 }, (_, i) => c.put('render-jobs', `race/${round}`, `t${i}`, false)));
        winners.add(results.filter((r) => r.status === 200).length);
      }
      expect([...winners].some((n) => n > 1 && n < 20)).toBe(true);
    });

    it('answers 500 to a read racing an overwrite, which the store retries', async () => {
      const { store, standIn: s } = await supabaseFixture({ overwriteRace: true, retries: 5 });
      await store.put('jobs/p/a.json', '{"v":0}');
      let gets = 0;
      for (let i = 1; i <= 5; i++) {
        let done = false;
        const write = store.put('jobs/p/a.json', `{"v":${i}}`).finally(() => (done = true));
        // Reads for as long as the overwrite is in flight: each sees the old or the new bytes.
        while (!done) {
          expect((await store.get('jobs/p/a.json'))?.body.toString()).toMatch(/^\{"v":\d+\}$/);
          gets++;
        }
        await write;
      }
      expect(s.counts.download).toBeGreaterThan(gets); // some reads met a 500 and were retried
      const raw = await fetch(`${s.origin}/storage/v1/object/authenticated/render-jobs/jobs/p/a.json`, {
        headers: { authorization: `Bearer ${SERVICE_ROLE_KEY}`, apikey: SERVICE_ROLE_KEY },
      });
      expect(raw.status).toBe(200);
    });

    it('drops the connection of a refused large upload; the store still tells a conflict from its own write', async () => {
      const { store } = await supabaseFixture({ resetRefusedUploadsOver: 1024, retries: 2 });
      const big = Buffer.alloc(4096, 1);
      await store.put('leases/j/1', big, { createOnly: true });
      await expect(store.put('leases/j/1', Buffer.alloc(4096, 2), { createOnly: true })).rejects.toBeInstanceOf(StoreConflictError);
      await expect(store.put('leases/j/2', Buffer.alloc(10, 2), { createOnly: true })).resolves.toBeUndefined();
      // A plain write is never refused: no reset.
      await expect(store.put('leases/j/1', big)).resolves.toBeUndefined();
    });
  });
