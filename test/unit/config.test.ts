import { describe, expect, it } from 'vitest';
import { DEFAULTS, loadConfig } from '../../shared/config.js';
import { ConfigError } from '../../shared/errors.js';

describe('loadConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 3000,
      workerPort: 3001,
      store: { kind: 'fs', dir: '.jobs' },
      renderer: { kind: 'axonometric', delayMs: 0 },
      workerUrl: 'http://127.0.0.1:3001',
      workerSecret: null,
    });
    expect(c.queue).toMatchObject({ leaseMs: DEFAULTS.LEASE_MS, heartbeatMs: DEFAULTS.HEARTBEAT_MS, maxAttempts: 3 });
  });

  it('paces the worker by default, but on Postgres (its batches make more in flight cheaper), unless told', () => {
    expect(loadConfig({}).workerPacing).toBe(true);
    const pg = { STORE: 'postgres', DATABASE_URL: 'postgres://u@127.0.0.1:5432/db' };
    expect(loadConfig(pg).workerPacing).toBe(false);
    expect(loadConfig({ ...pg, WORKER_PACING: 'latency' }).workerPacing).toBe(true);
    expect(loadConfig({ WORKER_PACING: 'off' }).workerPacing).toBe(false);
    expect(() => loadConfig({ WORKER_PACING: 'fast' })).toThrow(ConfigError);
  });

  it('follows WORKER_PORT for the default worker URL, and "none" means inline', () => {
    expect(loadConfig({ WORKER_PORT: '4001' }).workerUrl).toBe('http://127.0.0.1:4001');
    expect(loadConfig({ WORKER_URL: 'none' }).workerUrl).toBeNull();
    expect(loadConfig({ WORKER_URL: '' }).workerUrl).toBeNull();
    expect(loadConfig({ WORKER_URL: 'https://worker.example.com/' }).workerUrl).toBe('https://worker.example.com');
  });

  it('names every bad variable at once', () => {
    let err: unknown;
    try {
      loadConfig({ PORT: 'eighty', LEASE_MS: '-5', STORE: 'mongo', WORKER_SECRET: 'short' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const message = (err as Error).message;
    for (const name of ['PORT', 'LEASE_MS', 'STORE', 'WORKER_SECRET']) expect(message).toContain(name);
  });

  it('refuses a heartbeat too slow for its lease, and a worker URL that is not http', () => {
    expect(() => loadConfig({ LEASE_MS: '3000', HEARTBEAT_MS: '2000' })).toThrow(/HEARTBEAT_MS/);
    expect(() => loadConfig({ WORKER_URL: 'ftp://x' })).toThrow(/WORKER_URL/);
  });

  it('derives the heartbeat from a lease set alone (a fifth, at most the default); an explicit one is kept', () => {
    expect(loadConfig({ LEASE_MS: '5000' }).queue).toMatchObject({ leaseMs: 5000, heartbeatMs: 1000 });
    expect(loadConfig({ LEASE_MS: '1000' }).queue.heartbeatMs).toBe(200);
    expect(loadConfig({ LEASE_MS: '60000' }).queue.heartbeatMs).toBe(DEFAULTS.HEARTBEAT_MS);
    expect(loadConfig({ LEASE_MS: '5000', HEARTBEAT_MS: '1500' }).queue.heartbeatMs).toBe(1500);
  });

  it('on Railway, the worker listens on the PORT Railway gives it', () => {
    expect(loadConfig({ RAILWAY_ENVIRONMENT: 'production', PORT: '8080' }).workerPort).toBe(8080);
    expect(loadConfig({ RAILWAY_ENVIRONMENT: 'production', PORT: '8080', WORKER_PORT: '9000' }).workerPort).toBe(9000);
  });

  it('picks OpenAI when a key is set and the local renderer otherwise, unless told', () => {
    expect(loadConfig({}).renderer.kind).toBe('axonometric');
    const key = 'sk-0123456789abcdefghijkl';
    expect(loadConfig({ OPENAI_API_KEY: key }).renderer).toMatchObject({ kind: 'openai', openai: { model: 'gpt-image-1', apiKey: key } });
    expect(loadConfig({ OPENAI_API_KEY: key, RENDERER: 'axonometric' }).renderer.kind).toBe('axonometric');
    expect(() => loadConfig({ RENDERER: 'openai' })).toThrow(/OPENAI_API_KEY/);
  });

  it('needs the Supabase URL and key for STORE=supabase, and takes the buckets and timings', () => {
    expect(() => loadConfig({ STORE: 'supabase' })).toThrow(/SUPABASE_URL[\s\S]*SUPABASE_SERVICE_ROLE_KEY/);
    const c = loadConfig({
      STORE: 'supabase',
      SUPABASE_URL: 'https://abc.supabase.co/',
      SUPABASE_SERVICE_ROLE_KEY: 'x'.repeat(40),
      SUPABASE_ATOMIC_CREATE: 'true',
    });
    expect(c.store).toEqual({
      kind: 'supabase',
      url: 'https://abc.supabase.co',
      serviceRoleKey: 'x'.repeat(40),
      bucket: 'render-jobs',
      assetsBucket: 'render-assets',
      atomicCreate: true,
      timeoutMs: 10_000,
      retries: 3,
    });
  });

  it('refuses a production start without its secrets, naming each missing one', () => {
    const err = (() => {
      try {
        loadConfig({ NODE_ENV: 'production', VERCEL: '1', SUPABASE_URL: 'not a url' });
      } catch (e) {
        return e as Error;
      }
      throw new Error('expected a ConfigError');
    })();
    for (const name of ['WORKER_SECRET', 'CRON_SECRET', 'SUPABASE_URL', 'STORE', 'WORKER_URL', 'API_KEY']) expect(err.message).toContain(name);
    const ok = loadConfig({
      VERCEL_ENV: 'production',
      VERCEL: '1',
      STORE: 'supabase',
      SUPABASE_URL: 'https://abc.supabase.co',
      SUPABASE_SERVICE_ROLE_KEY: 'x'.repeat(40),
      WORKER_URL: 'https://worker.example.com',
      WORKER_SECRET: 's'.repeat(32),
      CRON_SECRET: 'c'.repeat(32),
      API_KEY: 'k'.repeat(32),
    });
    expect(ok.production).toBe(true);
  });
});
