// `render-jobs doctor` against the stand-ins: it tells an atomic server from a racy one, refuses a
// racy server configured as atomic, and names wrong keys, missing or public buckets and models.
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../shared/store/open-store.js';
import { runDoctor } from '../../cli/doctor.js';
import { loadConfig } from '../../shared/config.js';
import { ROOT } from '../../scripts/processes.js';
import { interceptWith } from '../stand-ins/msw.js';
import { OPENAI_KEY, OPENAI_URL, OpenAIImagesStandIn } from '../stand-ins/openai-images.js';
import { serveHandlers } from '../stand-ins/serve.js';
import { SERVICE_ROLE_KEY, SupabaseStorageStandIn, type SupabaseStorageOptions } from '../stand-ins/supabase-storage.js';

const openai = new OpenAIImagesStandIn();
interceptWith(openai.handlers);

function supabase(opts: SupabaseStorageOptions = {}, env: Record<string, string> = {}) {
  const standIn = new SupabaseStorageStandIn(opts);
  interceptWith(standIn.handlers);
  const config = loadConfig({ STORE: 'supabase', SUPABASE_URL: standIn.origin, SUPABASE_SERVICE_ROLE_KEY: SERVICE_ROLE_KEY, WORKER_URL: 'none', ...env });
  return { standIn, config };
}

const byName = (checks: Awaited<ReturnType<typeof runDoctor>>) => Object.fromEntries(checks.map((c) => [c.name, c]));

describe('render-jobs doctor', () => {
  it('passes a hosted-style server and says create-only is atomic', async () => {
    const { config, standIn } = supabase({}, { OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: OPENAI_URL, API_KEY: 'k'.repeat(32) });
    const checks = byName(await runDoctor(config));
    expect(checks['create-only']).toMatchObject({ status: 'ok' });
    expect(checks['create-only']!.detail).toMatch(/atomic: 1 of 20/);
    expect(checks['bucket render-jobs']).toMatchObject({ status: 'ok' });
    expect(checks.openai).toMatchObject({ status: 'ok' });
    expect(Object.values(checks).every((c) => c.status === 'ok')).toBe(true);
    // It cleans up after itself.
    expect([...standIn.buckets.get('render-jobs')!.files.keys()]).toEqual([]);
  });

  it('names project folders from before case-safe keys, and the command that moves them', async () => {
    const { config } = supabase();
    const store = openStore(config);
    await store.put('jobs/Demo/0abc.json', '{}');
    expect(byName(await runDoctor(config))['key layout']).toMatchObject({ status: 'fail', detail: expect.stringMatching(/Demo.*migrate-keys/) });
    await store.delete('jobs/Demo/0abc.json');
    await store.put('jobs/demo.1/0abc.json', '{}');
    expect(byName(await runDoctor(config))['key layout']).toMatchObject({ status: 'ok' });
  });

  it('tells a racy server apart, and fails one configured as atomic', async () => {
    const racy = byName(await runDoctor(supabase({ atomicCreate: false }).config));
    expect(racy['create-only']).toMatchObject({ status: 'warn' });
    expect(racy['create-only']!.detail).toMatch(/not atomic/);
    const lied = byName(await runDoctor(supabase({ atomicCreate: false }, { SUPABASE_ATOMIC_CREATE: 'true' }).config));
    expect(lied['create-only']).toMatchObject({ status: 'fail' });
    expect(lied['create-only']!.detail).toMatch(/SUPABASE_ATOMIC_CREATE=true/);
  });

  it('names a missing bucket, a public bucket, a wrong key and an unknown model', async () => {
    const missing = byName(await runDoctor(supabase({ buckets: { 'render-jobs': {} } }).config));
    expect(missing['bucket render-assets']).toMatchObject({ status: 'fail' });
    const open = byName(await runDoctor(supabase({ buckets: { 'render-jobs': { public: true }, 'render-assets': {} } }).config));
    expect(open['bucket render-jobs']!.detail).toMatch(/public/);
    const wrongKey = byName(await runDoctor(supabase({}, { SUPABASE_SERVICE_ROLE_KEY: 'x'.repeat(30) }).config));
    expect(Object.values(wrongKey).find((c) => c.status === 'fail')!.detail).toMatch(/SUPABASE_SERVICE_ROLE_KEY/);
    const model = byName(await runDoctor(supabase({}, { OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: OPENAI_URL, OPENAI_MODEL: 'gpt-image-9' }).config));
    expect(model.openai).toMatchObject({ status: 'fail' });
  });

  it('answers a refused connection with a connection message, not "create the bucket"', async () => {
    // A port that was just free: nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const { port: p } = s.address() as { port: number };
        s.close(() => resolve(p));
      });
    });
    const config = loadConfig({ STORE: 'supabase', SUPABASE_URL: `http://127.0.0.1:${port}`, SUPABASE_SERVICE_ROLE_KEY: SERVICE_ROLE_KEY, WORKER_URL: 'none' });
    const checks = await runDoctor(config);
    const failed = checks.filter((c) => c.status === 'fail');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.name).toBe('store connection');
    expect(failed[0]!.detail).toMatch(new RegExp(`cannot connect to Supabase Storage at http://127.0.0.1:${port}.*SUPABASE_URL`));
    expect(failed[0]!.detail).not.toMatch(/create it/);
  });

  it('a bad configuration is a list of bad variables, without a stack trace', async () => {
    const run = (args: string[]) =>
      promisify(execFile)(path.join(ROOT, 'node_modules', '.bin', 'tsx'), [path.join(ROOT, 'cli', 'main.ts'), ...args], {
        cwd: ROOT,
        env: { PATH: process.env.PATH, STORE: 'mongo', LEASE_MS: '-5' },
      }).then(
        () => ({ code: 0, out: '', err: '' }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout, err: e.stderr }),
      );
    const text = await run(['doctor']);
    expect(text.code).toBe(1);
    expect(text.err).toMatch(/^\s+- STORE: .+$/m);
    expect(text.err).toMatch(/^\s+- LEASE_MS: .+$/m);
    expect(text.err).not.toMatch(/\n\s+at /);
    const json = await run(['--json', 'doctor']);
    expect(JSON.parse(json.out)).toMatchObject({ ok: false, checks: [{ name: 'config', status: 'fail' }] });
  });

  it('runs as a command: JSON out, exit code 0 when nothing fails and 1 when something does', async () => {
    const standIn = new SupabaseStorageStandIn({ atomicCreate: false });
    const served = await serveHandlers(() => standIn.handlers);
    standIn.setOrigin(served.url);
    try {
      const cli = (env: Record<string, string>) =>
        promisify(execFile)(path.join(ROOT, 'node_modules', '.bin', 'tsx'), [path.join(ROOT, 'cli', 'main.ts'), '--json', 'doctor'], {
          cwd: ROOT,
          env: { PATH: process.env.PATH, STORE: 'supabase', SUPABASE_URL: served.url, WORKER_URL: 'none', ...env },
        }).then(
          (r) => ({ code: 0, out: r.stdout }),
          (e: { code: number; stdout: string }) => ({ code: e.code, out: e.stdout }),
        );
      const good = await cli({ SUPABASE_SERVICE_ROLE_KEY: SERVICE_ROLE_KEY });
      expect(good.code).toBe(0);
      expect(JSON.parse(good.out)).toMatchObject({
        ok: true,
        checks: expect.arrayContaining([expect.objectContaining({ name: 'create-only', status: 'warn' })]),
      });
      const bad = await cli({ SUPABASE_SERVICE_ROLE_KEY: 'y'.repeat(30) });
      expect(bad.code).toBe(1);
      expect(JSON.parse(bad.out).ok).toBe(false);
    } finally {
      await served.close();
    }
  });
});
