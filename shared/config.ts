// All configuration, read and validated once by `loadConfig(env)`. Every default lives in DEFAULTS.
import { z } from 'zod';
import { ConfigError } from './errors.js';
import { MINUTE, SECOND } from './time.js';

export const DEFAULTS = {
  PORT: 3000,
  WORKER_PORT: 3001,
  JOBS_DIR: '.jobs',
  STORE: 'fs',
  RENDERER: 'axonometric',
  RENDER_DELAY_MS: 0,
  /** A lease lives this long without a heartbeat; a crashed worker's job is taken over after it. */
  LEASE_MS: 15 * SECOND,
  /** Heartbeats renew the lease and look for a cancel request: cancel takes effect within one. */
  HEARTBEAT_MS: 2 * SECOND,
  /** How often an idle worker scans the queue: a lost poke delays a job by at most this. */
  POLL_INTERVAL_MS: 1 * SECOND,
  WORKER_CONCURRENCY: 4,
  /** On SIGTERM, in-flight jobs get this long to finish before they are handed back. */
  WORKER_DRAIN_MS: 25 * SECOND,
  MAX_ATTEMPTS: 3,
  RETRY_BASE_MS: 2 * SECOND,
  RETRY_MAX_MS: 1 * MINUTE,
  /** The create route never waits longer than this for the worker to acknowledge a poke. */
  POKE_TIMEOUT_MS: 1 * SECOND,
  /** Render requests are small JSON; large inputs go to storage (Vercel caps bodies at 4.5 MB). */
  MAX_BODY_BYTES: 256 * 1024,
  /** Stores that cannot promise atomic create-only writes re-read a lease after this long. */
  CLAIM_SETTLE_MS: 250,
  LOG_LEVEL: 'info',
} as const;

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: int(0, 65535).default(DEFAULTS.PORT),
  WORKER_PORT: int(0, 65535).default(DEFAULTS.WORKER_PORT),
  JOBS_DIR: z.string().min(1).default(DEFAULTS.JOBS_DIR),
  STORE: z.enum(['fs']).default(DEFAULTS.STORE),
  RENDERER: z.enum(['axonometric', 'stub']).default(DEFAULTS.RENDERER),
  RENDER_DELAY_MS: int(0, 10 * MINUTE).default(DEFAULTS.RENDER_DELAY_MS),
  // Unset: the local worker. "none" (or empty): no worker, `/process` runs the job inline.
  WORKER_URL: z.string().optional(),
  WORKER_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  WORKER_ID: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/).optional(),
  LEASE_MS: int(1 * SECOND, 10 * MINUTE).default(DEFAULTS.LEASE_MS),
  HEARTBEAT_MS: int(50, 5 * MINUTE).default(DEFAULTS.HEARTBEAT_MS),
  POLL_INTERVAL_MS: int(10, 10 * MINUTE).default(DEFAULTS.POLL_INTERVAL_MS),
  WORKER_CONCURRENCY: int(1, 1000).default(DEFAULTS.WORKER_CONCURRENCY),
  WORKER_DRAIN_MS: int(0, 10 * MINUTE).default(DEFAULTS.WORKER_DRAIN_MS),
  MAX_ATTEMPTS: int(1, 10).default(DEFAULTS.MAX_ATTEMPTS),
  RETRY_BASE_MS: int(0, 10 * MINUTE).default(DEFAULTS.RETRY_BASE_MS),
  RETRY_MAX_MS: int(0, 60 * MINUTE).default(DEFAULTS.RETRY_MAX_MS),
  POKE_TIMEOUT_MS: int(10, 10 * SECOND).default(DEFAULTS.POKE_TIMEOUT_MS),
  MAX_BODY_BYTES: int(1024, 4_500_000).default(DEFAULTS.MAX_BODY_BYTES),
  CLAIM_SETTLE_MS: int(0, 10 * SECOND).default(DEFAULTS.CLAIM_SETTLE_MS),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default(DEFAULTS.LOG_LEVEL),
});

export interface Config {
  env: 'development' | 'test' | 'production';
  port: number;
  workerPort: number;
  store: { kind: 'fs'; dir: string };
  renderer: { kind: 'axonometric' | 'stub'; delayMs: number };
  /** null: no worker; `/process` runs jobs inline. */
  workerUrl: string | null;
  workerSecret: string | null;
  workerId: string | undefined;
  queue: {
    leaseMs: number;
    heartbeatMs: number;
    pollIntervalMs: number;
    concurrency: number;
    drainMs: number;
    maxAttempts: number;
    retryBaseMs: number;
    retryMaxMs: number;
    claimSettleMs: number;
  };
  pokeTimeoutMs: number;
  maxBodyBytes: number;
  logLevel: string;
}

/** Reads configuration from `env` (never from `process.env` directly), naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // An empty variable counts as unset (as `FOO=` in a .env file means), except WORKER_URL="" = no worker.
  const set = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  // Railway tells a service which port to listen on through PORT; there the worker is the service.
  if (set.RAILWAY_ENVIRONMENT && !set.WORKER_PORT && set.PORT) set.WORKER_PORT = set.PORT;
  const parsed = EnvSchema.safeParse(set);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  const problems: string[] = [];
  if (e.HEARTBEAT_MS * 3 > e.LEASE_MS) {
    problems.push(`HEARTBEAT_MS (${e.HEARTBEAT_MS}) must be at most a third of LEASE_MS (${e.LEASE_MS})`);
  }
  if (e.RETRY_MAX_MS < e.RETRY_BASE_MS) problems.push('RETRY_MAX_MS must be at least RETRY_BASE_MS');
  const workerUrl = resolveWorkerUrl(env.WORKER_URL, e.WORKER_PORT, problems);
  if (problems.length > 0) throw new ConfigError(problems);

  return Object.freeze({
    env: e.NODE_ENV,
    port: e.PORT,
    workerPort: e.WORKER_PORT,
    store: { kind: e.STORE, dir: e.JOBS_DIR },
    renderer: { kind: e.RENDERER, delayMs: e.RENDER_DELAY_MS },
    workerUrl,
    workerSecret: e.WORKER_SECRET ?? null,
    workerId: e.WORKER_ID,
    queue: {
      leaseMs: e.LEASE_MS,
      heartbeatMs: e.HEARTBEAT_MS,
      pollIntervalMs: e.POLL_INTERVAL_MS,
      concurrency: e.WORKER_CONCURRENCY,
      drainMs: e.WORKER_DRAIN_MS,
      maxAttempts: e.MAX_ATTEMPTS,
      retryBaseMs: e.RETRY_BASE_MS,
      retryMaxMs: e.RETRY_MAX_MS,
      claimSettleMs: e.CLAIM_SETTLE_MS,
    },
    pokeTimeoutMs: e.POKE_TIMEOUT_MS,
    maxBodyBytes: e.MAX_BODY_BYTES,
    logLevel: e.LOG_LEVEL,
  });
}

function resolveWorkerUrl(raw: string | undefined, workerPort: number, problems: string[]): string | null {
  if (raw === undefined) return `http://127.0.0.1:${workerPort}`;
  const value = raw.trim();
  if (value === '' || value.toLowerCase() === 'none') return null;
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
    return value.replace(/\/+$/, '');
  } catch {
    problems.push(`WORKER_URL: not an http(s) URL: ${JSON.stringify(value)} (use "none" for no worker)`);
    return null;
  }
}
