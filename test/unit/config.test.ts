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

  it('on Railway, the worker listens on the PORT Railway gives it', () => {
    expect(loadConfig({ RAILWAY_ENVIRONMENT: 'production', PORT: '8080' }).workerPort).toBe(8080);
    expect(loadConfig({ RAILWAY_ENVIRONMENT: 'production', PORT: '8080', WORKER_PORT: '9000' }).workerPort).toBe(9000);
  });
});
