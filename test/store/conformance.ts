// The ObjectStore contract, as tests any backend must pass unchanged (run per backend by STORE=…).
import { describe, expect, it } from 'vitest';
import { InvalidKeyError, StoreConflictError } from '../../shared/errors.js';
import { idOfSegment, keys } from '../../shared/store/keys.js';
import { listAll, listAllFolders } from '../../shared/store/object-store.js';
import { type StoreFixture, useStore } from '../helpers/stores.js';

export function describeObjectStore(name: string, make: () => Promise<StoreFixture>): void {
  describe(`ObjectStore conformance: ${name}`, () => {
    const fx = useStore(make);

    it('answers null for a missing key', async () => {
      expect(await fx.store.get('jobs/p/missing.json')).toBeNull();
    });

    it('round-trips text and binary bytes exactly', async () => {
      const binary = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff, 0x10, 0x0a, 0x0d]);
      await fx.store.put('rt/a.json', '{"a":1}', { contentType: 'application/json' });
      await fx.store.put('rt/b.png', binary, { contentType: 'image/png' });
      const a = await fx.store.get('rt/a.json');
      const b = await fx.store.get('rt/b.png');
      expect(a?.body.toString()).toBe('{"a":1}');
      expect(a?.contentType).toMatch(/^application\/json/);
      expect(b?.body.equals(binary)).toBe(true);
      expect(b?.contentType).toBe('image/png');
    });

    it('tells the size and type of an object without reading it, and null for a missing one', async () => {
      await fx.store.put('st/img.png', Buffer.alloc(1234, 7), { contentType: 'image/png' });
      expect(await fx.store.stat('st/img.png')).toEqual({ bytes: 1234, contentType: 'image/png' });
      expect(await fx.store.stat('st/none.png')).toBeNull();
    });

    it('overwrites with a plain put, and the etag follows the content', async () => {
      await fx.store.put('ow/x.json', '{"v":1}');
      const first = await fx.store.get('ow/x.json');
      await fx.store.put('ow/x.json', '{"v":2}');
      const second = await fx.store.get('ow/x.json');
      expect(second?.body.toString()).toBe('{"v":2}');
      expect(first?.etag).toMatch(/^"[^"]+"$/);
      expect(second?.etag).not.toBe(first?.etag);
      await fx.store.put('ow/x.json', '{"v":2}');
      expect((await fx.store.get('ow/x.json'))?.etag).toBe(second?.etag);
    });

    it('create-only writes a new key and refuses an existing one without changing it', async () => {
      await fx.store.put('co/lease', 'first', { createOnly: true });
      await expect(fx.store.put('co/lease', 'second', { createOnly: true })).rejects.toBeInstanceOf(StoreConflictError);
      expect((await fx.store.get('co/lease'))?.body.toString()).toBe('first');
    });

    it('lets concurrent create-only puts of one key through as its atomicity promises', async () => {
      const contenders = Array.from({ length: 24 }, (_, i) => `token-${i}`);
      const results = await Promise.allSettled(contenders.map((t) => fx.store.put('race/1', t, { createOnly: true })));
      const winners = contenders.filter((_, i) => results[i]!.status === 'fulfilled');
      const losers = results.filter((r) => r.status === 'rejected');
      for (const r of losers) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(StoreConflictError);
      const stored = (await fx.store.get('race/1'))?.body.toString();
      if (fx.store.capabilities.atomicCreate) {
        expect(winners).toEqual([stored]);
      } else {
        // A racy backend may report several winners; what is stored is one of theirs.
        expect(winners.length).toBeGreaterThanOrEqual(1);
        expect(winners).toContain(stored);
      }
    });

    it('never shows a reader a partly written object', async () => {
      const a = 'a'.repeat(256 * 1024);
      const b = 'b'.repeat(256 * 1024);
      await fx.store.put('atomic/doc', a);
      const seen = new Set<string>();
      const writes = Array.from({ length: 20 }, (_, i) => fx.store.put('atomic/doc', i % 2 ? a : b));
      const reads = Array.from({ length: 40 }, async () => {
        const body = (await fx.store.get('atomic/doc'))!.body.toString();
        seen.add(body === a ? 'a' : body === b ? 'b' : `torn:${body.length}`);
      });
      await Promise.all([...writes, ...reads]);
      expect([...seen].filter((s) => s.startsWith('torn'))).toEqual([]);
    });

    it('lists the objects directly in a folder, in name order, without sub-folders', async () => {
      for (const k of ['ls/c', 'ls/a', 'ls/b', 'ls/sub/d', 'lsx/e']) await fx.store.put(k, k);
      const page = await fx.store.list('ls/');
      expect(page.items.map((i) => i.name)).toEqual(['a', 'b', 'c']);
      expect(page.items.map((i) => i.key)).toEqual(['ls/a', 'ls/b', 'ls/c']);
      expect(page.cursor).toBeNull();
    });

    it('lists the sub-folders of a folder, and not its objects', async () => {
      for (const k of ['lf/p1/a', 'lf/p2/b', 'lf/p2/deep/c', 'lf/file', 'lfx/p3/d']) await fx.store.put(k, k);
      expect((await fx.store.listFolders('lf/')).items.map((i) => [i.name, i.key])).toEqual([
        ['p1', 'lf/p1'],
        ['p2', 'lf/p2'],
      ]);
      expect((await fx.store.listFolders('lf/p1/')).items).toEqual([]);
      expect(await fx.store.listFolders('nothing-here/')).toEqual({ items: [], cursor: null });
    });

    it('pages a long listing: every object exactly once, in order', async () => {
      const names = Array.from({ length: 57 }, (_, i) => `n${String(i).padStart(3, '0')}`);
      await Promise.all(names.map((n) => fx.store.put(`paged/${n}`, n)));
      const first = await fx.store.list('paged/', { limit: 10 });
      expect(first.items).toHaveLength(10);
      expect(first.cursor).not.toBeNull();
      const all: string[] = [];
      for await (const item of listAll(fx.store, 'paged/', 10)) all.push(item.name);
      expect(all).toEqual(names);
    });

    it('orders names by bytes and starts a listing after a given name without paging up to it', async () => {
      for (const n of ['b', 'B', '1_u', 'a', '1', 'c']) await fx.store.put(`ord/${n}`, '{}');
      expect((await fx.store.list('ord/')).items.map((i) => i.name)).toEqual(['1', '1_u', 'B', 'a', 'b', 'c']);
      const after = await fx.store.list('ord/', { startAfter: 'B', limit: 2 });
      expect(after.items.map((i) => i.name)).toEqual(['a', 'b']);
      const rest = await fx.store.list('ord/', { cursor: after.cursor });
      expect(rest).toEqual({ items: [{ name: 'c', key: 'ord/c' }], cursor: null });
      expect((await fx.store.list('ord/', { startAfter: 'c' })).items).toEqual([]);
    });

    it('keeps ids that differ only in case apart: Demo, demo and DEMO list, read and fold apart', async () => {
      // Case-insensitive stores (Supabase Storage's listings, macOS disks) must not join them.
      const ids = ['Demo', 'demo', 'DEMO'];
      for (const [i, id] of ids.entries()) await fx.store.put(keys.job(id, `j${i}`), id);
      for (const [i, id] of ids.entries()) {
        expect((await fx.store.list(keys.jobsOf(id))).items.map((e) => e.name)).toEqual([`j${i}.json`]);
        expect((await fx.store.get(keys.job(id, `j${i}`)))?.body.toString()).toBe(id);
        expect(await fx.store.get(keys.job(id, `j${(i + 1) % 3}`))).toBeNull();
      }
      const folders: string[] = [];
      for await (const f of listAllFolders(fx.store, 'jobs/')) folders.push(f.name);
      expect(
        folders
          .map(idOfSegment)
          .filter((id) => id !== null && /^demo$/i.test(id))
          .sort(),
      ).toEqual(['DEMO', 'Demo', 'demo']);
    });

    it('lists a missing folder as empty', async () => {
      expect(await fx.store.list('nothing-here/')).toEqual({ items: [], cursor: null });
    });

    it('deletes, and deleting a missing key is not an error', async () => {
      await fx.store.put('del/x', 'x');
      await fx.store.delete('del/x');
      expect(await fx.store.get('del/x')).toBeNull();
      await expect(fx.store.delete('del/x')).resolves.toBeUndefined();
      expect((await fx.store.list('del/')).items).toEqual([]);
    });

    it('deletes many keys at once, missing ones and images among them, and nothing else', async () => {
      const gone = ['dm/a', 'dm/b', 'dm/sub/c', 'results/dm/x.png'];
      for (const k of [...gone, 'dm/keep', 'results/dm/keep.png']) await fx.store.put(k, k);
      await fx.store.deleteMany([...gone, 'dm/never-there']);
      for (const k of gone) expect(await fx.store.get(k)).toBeNull();
      expect((await fx.store.list('dm/')).items.map((i) => i.name)).toEqual(['keep']);
      expect((await fx.store.get('results/dm/keep.png'))?.body.toString()).toBe('results/dm/keep.png');
      await expect(fx.store.deleteMany([])).resolves.toBeUndefined();
      await expect(fx.store.deleteMany(['dm/a', 'dm/b'])).resolves.toBeUndefined();
    });

    it('moves an object: found at its new name only, bytes and type kept', async () => {
      await fx.store.put('mv/from.json', '{"m":1}', { contentType: 'application/json' });
      expect(await fx.store.move('mv/from.json', 'mv/to.json')).toBe(true);
      expect(await fx.store.get('mv/from.json')).toBeNull();
      const moved = await fx.store.get('mv/to.json');
      expect(moved?.body.toString()).toBe('{"m":1}');
      expect(moved?.contentType).toMatch(/^application\/json/);
      expect((await fx.store.list('mv/')).items.map((i) => i.name)).toEqual(['to.json']);
    });

    it('moves nothing from a missing key, and never onto a taken one', async () => {
      expect(await fx.store.move('mv2/none', 'mv2/to')).toBe(false);
      expect(await fx.store.get('mv2/to')).toBeNull();
      await fx.store.put('mv2/a', 'a');
      await fx.store.put('mv2/b', 'b');
      await expect(fx.store.move('mv2/a', 'mv2/b')).rejects.toBeInstanceOf(StoreConflictError);
      expect((await fx.store.get('mv2/a'))?.body.toString()).toBe('a');
      expect((await fx.store.get('mv2/b'))?.body.toString()).toBe('b');
    });

    const badKeys = ['', '../escape', 'a/../../escape', '/abs', 'a//b', 'a\\b', '.hidden', 'a/.tmp-x', '%2e%2e/x', 'a/b\0c', 'a/ b', 'x'.repeat(600), 'a/..'];
    it.each(badKeys)('refuses the key %j on every operation', async (key) => {
      await expect(fx.store.get(key)).rejects.toBeInstanceOf(InvalidKeyError);
      await expect(fx.store.stat(key)).rejects.toBeInstanceOf(InvalidKeyError);
      await expect(fx.store.put(key, 'x')).rejects.toBeInstanceOf(InvalidKeyError);
      await expect(fx.store.delete(key)).rejects.toBeInstanceOf(InvalidKeyError);
      await expect(fx.store.deleteMany(['ok/x', key])).rejects.toBeInstanceOf(InvalidKeyError);
      await expect(fx.store.move('ok/x', key)).rejects.toBeInstanceOf(InvalidKeyError);
      await expect(fx.store.move(key, 'ok/x')).rejects.toBeInstanceOf(InvalidKeyError);
    });

    it.each(['ls', '../', 'a/../', '/'])('refuses the list prefix %j', async (prefix) => {
      await expect(fx.store.list(prefix)).rejects.toBeInstanceOf(InvalidKeyError);
    });
  });
}
