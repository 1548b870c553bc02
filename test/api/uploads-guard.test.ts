// Issue 12, uploads: URLs are limited per caller (a rate and a quota), each bound to the caller it
// was granted to and to the size and type declared for it, signed with a key of their own, and an
// upload is read only once its URL is known genuine. Each case notes what was answered before.
import { createHmac } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config.js';
import { keys } from '../../shared/store/keys.js';
import { type ApiFixture, holdClockMidMinute, startApi } from '../helpers/api.js';
import { exampleBody } from '../helpers/concept.js';
import { onRealServer, processStoreFactory, type ProcessStoreFixture, selectedProcessStores, selectedStores, tempDir, useStore } from '../helpers/stores.js';
import { hsToken, JWT_SECRET } from '../stand-ins/supabase-auth.js';
import { insideOneRateWindow } from '../helpers/wait.js';

const WORKER_SECRET = 'worker-secret-0123456789';
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(24, 7)]);
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(28, 7)]);

interface Granted {
  uploadId: string;
  url: string;
  method: string;
  headers: Record<string, string>;
}

/** For the enclosing block: the API over a fresh store of the backend, with upload limits and two users. */
function useUploadsApi(make: () => Promise<ProcessStoreFixture>) {
  let api: ApiFixture;
  let fx: ProcessStoreFixture;
  let alice: string;
  let bob: string;
  beforeAll(async () => {
    fx = await make();
    api = await startApi({
      ...fx.env,
      WORKER_URL: 'none',
      AUTH_JWT_SECRET: JWT_SECRET,
      WORKER_SECRET,
      UPLOAD_RATE_PER_MINUTE: '6',
      UPLOAD_QUOTA_BYTES: '2000',
      UPLOAD_MAX_BYTES: '1500',
    });
    holdClockMidMinute(api);
    [alice, bob] = await Promise.all([hsToken('alice'), hsToken('bob')]);
  });
  afterAll(async () => {
    await api?.close();
    await fx?.cleanup();
  });

  const ask = (token: string, files: Array<{ contentType: string; bytes: number }>, projectId = 'up') =>
    fetch(`${api.url}/api/uploads`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ projectId, files }),
    });
  async function grant(token: string, bytes: number, contentType = 'image/png', projectId = 'up'): Promise<Granted> {
    const res = await ask(token, [{ contentType, bytes }], projectId);
    expect(res.status, await res.clone().text()).toBe(201);
    return ((await res.json()) as { uploads: Granted[] }).uploads[0]!;
  }
  // Our upload route's URLs are relative; a bucket's signed upload URL is absolute.
  const put = (g: Granted, body: Buffer, headers: Record<string, string> = g.headers) =>
    fetch(new URL(g.url, api.url), { method: g.method, headers, body: new Uint8Array(body) });
  return {
    get api() {
      return api;
    },
    get fx() {
      return fx;
    },
    get alice() {
      return alice;
    },
    get bob() {
      return bob;
    },
    ask,
    grant,
    put,
  };
}

// Limits and grants live in the store: on every backend.
for (const [name, make] of selectedProcessStores())
  describe(`uploads are bounded and bound (${name})`, () => {
    const u = useUploadsApi(make);
    const { ask, grant, put } = u;

    it('limits upload URLs per user and minute (before: 320 URLs a minute for one user)', async () => {
      const carol = await hsToken('carol');
      const file = { contentType: 'image/png', bytes: 10 };
      await insideOneRateWindow();
      const statuses = [(await ask(carol, [file, file, file, file])).status, (await ask(carol, [file, file])).status, (await ask(carol, [file])).status];
      expect(statuses).toEqual([201, 201, 429]);
      expect((await ask(await hsToken('dan'), [file])).status).toBe(201); // others are not affected
    });

    it('holds each user to a quota of declared bytes per project', async () => {
      const erin = await hsToken('erin');
      expect((await ask(erin, [{ contentType: 'image/png', bytes: 1200 }])).status).toBe(201);
      const over = await ask(erin, [{ contentType: 'image/png', bytes: 1000 }]);
      expect(over.status).toBe(429); // before: 201
      expect(await over.json()).toMatchObject({ error: { code: 'upload_quota_exceeded', details: { quotaBytes: 2000, usedBytes: 1200 } } });
      expect((await ask(erin, [{ contentType: 'image/png', bytes: 700 }])).status).toBe(201);
      expect((await ask(erin, [{ contentType: 'image/png', bytes: 1000 }], 'other-project')).status).toBe(201);
    });

    it("does not let one user render from another user's upload (before: Bob's edit used Alice's upload)", async () => {
      const g = await grant(u.alice, PNG.length);
      // Our upload route answers 201; a bucket's signed upload, 200.
      expect((await put(g, PNG)).status).toBe(u.fx.env.STORE === 'supabase' ? 200 : 201);
      const edit = (token: string) =>
        fetch(`${u.api.url}/api/jobs/render`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ ...exampleBody, projectId: 'up', kind: 'edit', references: [g.uploadId] }),
        });
      const bobs = await edit(u.bob);
      expect(bobs.status).toBe(400);
      expect(await bobs.json()).toMatchObject({ error: { code: 'upload_missing' } });
      expect((await edit(u.alice)).status).toBe(202);
    });
  });

// What the API's own upload route checks before and while it reads a body: the route only the
// filesystem store uses (a bucket takes uploads itself).
if (!onRealServer)
  describe('uploads are bounded and bound: our upload route (fs)', () => {
    const u = useUploadsApi(processStoreFactory('fs'));
    const { grant, put } = u;

    it('takes no more than the declared size, and only the declared type (before: a 10-byte URL took 5 MB)', async () => {
      const small = await grant(u.alice, 10);
      const tooBig = await put(small, PNG);
      expect(tooBig.status).toBe(413);
      expect(await tooBig.json()).toMatchObject({ error: { code: 'upload_too_large' } });
      const png = await grant(u.alice, JPEG.length);
      expect((await put(png, JPEG, { 'content-type': 'image/jpeg' })).status).toBe(415); // the URL was for a PNG
      expect((await put(png, JPEG)).status).toBe(415); // declared PNG, the bytes are a JPEG
      expect(await u.api.ctx.store.stat(keys.upload('up', small.uploadId))).toBeNull();
      expect(await u.api.ctx.store.stat(keys.upload('up', png.uploadId))).toBeNull();
    });

    it('answers a PUT sent as application/json with a clean 415, not a 500', async () => {
      const g = await grant(u.alice, 50);
      for (const body of ['{"not":"an image"}', '{bad json']) {
        const res = await put(g, Buffer.from(body), { 'content-type': 'application/json' });
        expect(res.status).toBe(415); // before: 500 (an unhandled SyntaxError) for the malformed one
        expect(await res.json()).toMatchObject({ error: { code: 'unsupported_media_type' } });
      }
    });

    it('signs upload URLs with a key of their own, not WORKER_SECRET', async () => {
      const config = loadConfig({ WORKER_SECRET });
      expect(config.uploads.signingKey).not.toBeNull();
      expect(config.uploads.signingKey!.equals(Buffer.from(WORKER_SECRET))).toBe(false);
      expect(loadConfig({ WORKER_SECRET, UPLOAD_SIGNING_SECRET: 'u'.repeat(40) }).uploads.signingKey!.equals(config.uploads.signingKey!)).toBe(false);
      // A URL forged with WORKER_SECRET (what signed them before) is refused, whatever it claims.
      const g = await grant(u.alice, PNG.length);
      const url = new URL(u.api.url + g.url);
      const p = url.searchParams;
      for (const message of [
        `${p.get('projectId')}/${g.uploadId}/${p.get('expires')}`,
        ['upload-v2', p.get('projectId'), g.uploadId, p.get('expires'), p.get('bytes'), p.get('type')].join('\n'),
      ]) {
        p.set('token', createHmac('sha256', WORKER_SECRET).update(message).digest('base64url'));
        expect((await fetch(url, { method: 'PUT', headers: g.headers, body: new Uint8Array(PNG) })).status).toBe(401);
      }
      expect(await u.api.ctx.store.stat(keys.upload('up', g.uploadId))).toBeNull();
    });

    it('refuses a forged upload before reading its body (before: 40 forged 10 MB PUTs were all read)', async () => {
      const g = await grant(u.alice, PNG.length);
      const url = new URL(u.api.url + g.url.replace(/token=[^&]+/, 'token=forged'));
      // Headers and a first chunk, then nothing: the answer must come without the rest of the body.
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(url, { method: 'PUT', headers: { 'content-type': 'image/png', 'content-length': String(5 * 1024 * 1024) } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
          req.destroy();
        });
        req.on('error', (err) => ((err as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(err)));
        req.write(Buffer.alloc(64 * 1024));
      });
      expect(status).toBe(401);
    });

    it('caps an upload-URL request by the bytes read, chunked or not (before: a chunked 9 MB body was read)', async () => {
      // The default UPLOAD_MAX_BYTES (10 MiB): before, the upload routes' larger cap let this through.
      const defaults = await startApi({ JOBS_DIR: u.fx.env.JOBS_DIR!, WORKER_URL: 'none', AUTH_JWT_SECRET: JWT_SECRET });
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(
          `${defaults.url}/api/uploads`,
          { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${u.alice}`, 'transfer-encoding': 'chunked' } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', (err) =>
          (err as NodeJS.ErrnoException).code === 'ECONNRESET' || (err as NodeJS.ErrnoException).code === 'EPIPE' ? undefined : reject(err),
        );
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        for (let i = 0; i < 16; i++) req.write(chunk); // 1 MiB, more than MAX_BODY_BYTES (256 KiB)
        req.end();
      }).finally(() => defaults.close());
      expect(status).toBe(413); // before: 400 invalid_json, after reading all of it
    });
  });

// Refused before any store is read.
if (!onRealServer)
  describe('bodies of callers without a credential', () => {
    it('are not read: the 401 comes before the body does (before: read first, up to the body limit)', async () => {
      const tmp = await tempDir();
      const api = await startApi({ JOBS_DIR: tmp.dir, WORKER_URL: 'none', API_KEY: 'api-key-0123456789-abcdefghij' });
      try {
        const status = await new Promise<number>((resolve, reject) => {
          const req = request(
            `${api.url}/api/jobs/render`,
            { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(200 * 1024) } },
            (res) => {
              res.resume();
              resolve(res.statusCode ?? 0);
              req.destroy();
            },
          );
          req.on('error', (err) => ((err as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(err)));
          req.write(Buffer.alloc(1024, 0x20)); // a first chunk, then nothing
        });
        expect(status).toBe(401);
      } finally {
        await api.close();
        await tmp.cleanup();
      }
    });
  });

// Grants are found by listing the store: on every backend.
for (const [name, makeStore] of selectedStores())
  describe(`upload grants are pruned (${name})`, () => {
    const fixture = useStore(makeStore);
    it('drops grants past the retention time and unused ones soon after their URL expired, and keeps the rest', async () => {
      const { newUploadId } = await import('../../shared/ids.js');
      const { grantFolder, grantsOf, pruneGrants, UPLOAD_URL_TTL_MS } = await import('../../shared/uploads/grants.js');
      const store = fixture.store;
      const now = Date.now();
      const day = 86_400_000;
      const make = async (ageMs: number, uploaded: boolean) => {
        const uploadId = newUploadId(now - ageMs);
        await store.put(`${grantFolder('p', 'owner-x')}${uploadId}.100.png`, '{}');
        if (uploaded) await store.put(keys.upload('p', uploadId), PNG);
        return uploadId;
      };
      const old = await make(8 * day, true);
      const expiredUnused = await make(UPLOAD_URL_TTL_MS + 5 * 60_000, false);
      const liveUsed = await make(UPLOAD_URL_TTL_MS + 5 * 60_000, true);
      const fresh = await make(60_000, false);
      const deleted = await pruneGrants(store, { cutoff: now - 7 * day, now, overTime: () => false });
      expect(deleted).toBe(2);
      const left = (await grantsOf(store, 'p', 'owner-x')).map((g) => g.uploadId).sort();
      expect(left).toEqual([liveUsed, fresh].sort());
      expect(left).not.toContain(old);
      expect(left).not.toContain(expiredUnused);
    });
  });
