// All configuration, read and validated once by `loadConfig(env)`. Every default lives in DEFAULTS.
import { hkdfSync } from 'node:crypto';
import { z } from 'zod';
import { ConfigError } from './errors.js';
import type { WebhookConfig } from './webhooks/notifier.js';
import { MINUTE, SECOND } from './time.js';

export const DEFAULTS = {
  PORT: 3000,
  WORKER_PORT: 3001,
  JOBS_DIR: '.jobs',
  STORE: 'fs',
  RENDERER: 'auto',
  RENDER_DELAY_MS: 0,
  /** A lease lives this long without a heartbeat; a crashed worker's job is taken over after it. */
  LEASE_MS: 15 * SECOND,
  /** Heartbeats renew the lease and look for a cancel request: cancel takes effect within one.
   * Unset, it follows the lease: a fifth of LEASE_MS, at most this. */
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
  SUPABASE_BUCKET: 'render-jobs',
  SUPABASE_ASSETS_BUCKET: 'render-assets',
  /** Safe for every server: true skips the lease read-back, only for servers with storage-api #1392. */
  SUPABASE_ATOMIC_CREATE: 'false',
  /** One storage request never waits longer; it is retried (when safe) up to STORE_RETRIES times. */
  STORE_TIMEOUT_MS: 10 * SECOND,
  STORE_RETRIES: 3,
  /** STORE=postgres: the schema holding the objects table (`render-jobs migrate` creates it). */
  DATABASE_SCHEMA: 'render_jobs',
  /** STORE=postgres: connections each process opens at most (functions: keep it small). */
  DATABASE_POOL_MAX: 4,
  /** How long an `imageUrl` signed by the Supabase store stays valid. */
  SIGNED_URL_TTL_S: 24 * 60 * 60,
  /** Per uploaded input (reference images go straight to storage, not through a function). */
  UPLOAD_MAX_BYTES: 10 * 1024 * 1024,
  OPENAI_MODEL: 'gpt-image-1',
  /** One image call; the SDK's own 10-minute default could hold a job for half an hour with retries. */
  OPENAI_TIMEOUT_MS: 3 * MINUTE,
  OPENAI_PARTIAL_IMAGES: 2,
  OPENAI_QUALITY: 'medium',
  /** A function's time budget (Vercel Hobby: 10 s); inline work and streams end before it. */
  FUNCTION_BUDGET_MS: 10 * SECOND,
  /** Finished jobs, their results and leases are pruned after this many days. */
  RETENTION_DAYS: 7,
  /** How often each worker prunes expired jobs (Vercel's cron also does, daily). */
  PRUNE_INTERVAL_MS: 60 * MINUTE,
  /** Loopback and private webhook targets: refused unless allowed (development, tests). */
  WEBHOOK_ALLOW_PRIVATE: 'false',
  WEBHOOK_TIMEOUT_MS: 10 * SECOND,
  WEBHOOK_MAX_ATTEMPTS: 5,
  /** Jobs running at once across all workers sharing the store (0: no cap). */
  MAX_RUNNING: 20,
  /** Jobs running at once per owner (the signed-in user), across all workers (0: no cap). */
  MAX_RUNNING_PER_OWNER: 2,
  /** A job not started by then ends failed with code `expired` (a request may ask for less). */
  START_DEADLINE_MS: 60 * MINUTE,
  /** One attempt's render is aborted after this long, then retried or failed. */
  RUN_DEADLINE_MS: 10 * MINUTE,
  /** Creates per owner per minute; more are answered 429 with Retry-After (0: no limit). */
  CREATE_RATE_PER_MINUTE: 30,
  AUTH_JWT_AUDIENCE: 'authenticated',
  /** An access token may live at most this long (`exp` − now); Supabase issues 1-hour tokens. */
  AUTH_JWT_MAX_LIFE_S: 24 * 60 * 60,
  /** Supabase anonymous sign-ins (`is_anonymous`, `role: anon`) may not render unless allowed. */
  AUTH_ALLOW_ANONYMOUS: 'false',
  /** Production without API_KEY or Supabase Auth refuses to start unless the operator says it is public. */
  PUBLIC_API: 'false',
  /** Upload URLs per caller per minute (0: no limit). */
  UPLOAD_RATE_PER_MINUTE: 20,
  /** Declared bytes of live uploads per caller and project (0: no quota); freed by pruning. */
  UPLOAD_QUOTA_BYTES: 200 * 1024 * 1024,
  /** Open event streams per caller on one API instance; more are answered 429. */
  EVENT_STREAMS_PER_CALLER: 8,
} as const;

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const bucketName = z.string().regex(/^[a-z0-9][a-z0-9._-]{2,62}$/, 'not a bucket name');

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: int(0, 65535).default(DEFAULTS.PORT),
  WORKER_PORT: int(0, 65535).default(DEFAULTS.WORKER_PORT),
  JOBS_DIR: z.string().min(1).default(DEFAULTS.JOBS_DIR),
  STORE: z.enum(['fs', 'supabase', 'postgres']).default(DEFAULTS.STORE),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  DATABASE_LISTEN_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,47}$/, 'a plain lower-case identifier')
    .default(DEFAULTS.DATABASE_SCHEMA),
  DATABASE_POOL_MAX: int(1, 100).default(DEFAULTS.DATABASE_POOL_MAX),
  SUPABASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  SUPABASE_SERVICE_ROLE_KEY: z.string().min(20, 'looks too short for a Supabase key').optional(),
  SUPABASE_BUCKET: bucketName.default(DEFAULTS.SUPABASE_BUCKET),
  SUPABASE_ASSETS_BUCKET: bucketName.default(DEFAULTS.SUPABASE_ASSETS_BUCKET),
  SUPABASE_ATOMIC_CREATE: z.enum(['true', 'false']).default(DEFAULTS.SUPABASE_ATOMIC_CREATE),
  STORE_TIMEOUT_MS: int(100, 2 * MINUTE).default(DEFAULTS.STORE_TIMEOUT_MS),
  STORE_RETRIES: int(0, 10).default(DEFAULTS.STORE_RETRIES),
  SIGNED_URL_TTL_S: int(60, 7 * 24 * 60 * 60).default(DEFAULTS.SIGNED_URL_TTL_S),
  UPLOAD_MAX_BYTES: int(1024, 50 * 1024 * 1024).default(DEFAULTS.UPLOAD_MAX_BYTES),
  // auto: OpenAI when OPENAI_API_KEY is set, the local axonometric renderer otherwise.
  RENDERER: z.enum(['auto', 'openai', 'axonometric', 'stub']).default(DEFAULTS.RENDERER),
  OPENAI_API_KEY: z.string().min(20, 'looks too short for an OpenAI key').optional(),
  OPENAI_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  OPENAI_MODEL: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{0,63}$/, 'not a model name')
    .default(DEFAULTS.OPENAI_MODEL),
  OPENAI_TIMEOUT_MS: int(1 * SECOND, 10 * MINUTE).default(DEFAULTS.OPENAI_TIMEOUT_MS),
  OPENAI_PARTIAL_IMAGES: int(0, 3).default(DEFAULTS.OPENAI_PARTIAL_IMAGES),
  OPENAI_QUALITY: z.enum(['low', 'medium', 'high', 'auto']).default(DEFAULTS.OPENAI_QUALITY),
  CRON_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  FUNCTION_BUDGET_MS: int(1 * SECOND, 15 * MINUTE).default(DEFAULTS.FUNCTION_BUDGET_MS),
  RETENTION_DAYS: int(1, 3650).default(DEFAULTS.RETENTION_DAYS),
  PRUNE_INTERVAL_MS: int(1 * SECOND, 24 * 60 * MINUTE).default(DEFAULTS.PRUNE_INTERVAL_MS),
  WEBHOOK_SECRET: z
    .string()
    .regex(/^whsec_[A-Za-z0-9+/]{32,}={0,2}$/, 'a Standard Webhooks secret: whsec_ and base64 of at least 24 bytes')
    .optional(),
  WEBHOOK_ALLOW_PRIVATE: z.enum(['true', 'false']).default(DEFAULTS.WEBHOOK_ALLOW_PRIVATE),
  WEBHOOK_TIMEOUT_MS: int(100, 60 * SECOND).default(DEFAULTS.WEBHOOK_TIMEOUT_MS),
  WEBHOOK_MAX_ATTEMPTS: int(1, 10).default(DEFAULTS.WEBHOOK_MAX_ATTEMPTS),
  RENDER_DELAY_MS: int(0, 10 * MINUTE).default(DEFAULTS.RENDER_DELAY_MS),
  MAX_RUNNING: int(0, 10_000).default(DEFAULTS.MAX_RUNNING),
  MAX_RUNNING_PER_OWNER: int(0, 1_000).default(DEFAULTS.MAX_RUNNING_PER_OWNER),
  START_DEADLINE_MS: int(1 * SECOND, 7 * 24 * 60 * MINUTE).default(DEFAULTS.START_DEADLINE_MS),
  RUN_DEADLINE_MS: int(1 * SECOND, 6 * 60 * MINUTE).default(DEFAULTS.RUN_DEADLINE_MS),
  CREATE_RATE_PER_MINUTE: int(0, 100_000).default(DEFAULTS.CREATE_RATE_PER_MINUTE),
  // Callers: a server-to-server key, and/or Supabase Auth access tokens (HS256 secret or JWKS).
  API_KEY: z.string().min(24, 'must be at least 24 characters').optional(),
  AUTH_JWT_SECRET: z.string().min(32, 'a Supabase JWT secret is at least 32 characters').optional(),
  AUTH_JWKS_URL: z.url({ protocol: /^https?$/ }).optional(),
  AUTH_JWT_AUDIENCE: z.string().min(1).default(DEFAULTS.AUTH_JWT_AUDIENCE),
  AUTH_JWT_ISSUER: z.string().min(1).optional(),
  AUTH_JWT_MAX_LIFE_S: int(60, 7 * 24 * 60 * 60).default(DEFAULTS.AUTH_JWT_MAX_LIFE_S),
  AUTH_ALLOW_ANONYMOUS: z.enum(['true', 'false']).default(DEFAULTS.AUTH_ALLOW_ANONYMOUS),
  PUBLIC_API: z.enum(['true', 'false']).default(DEFAULTS.PUBLIC_API),
  // Behind a proxy that sets X-Forwarded-For itself (Vercel does): the caller's address for limits.
  TRUST_PROXY: z.enum(['true', 'false']).optional(),
  UPLOAD_RATE_PER_MINUTE: int(0, 100_000).default(DEFAULTS.UPLOAD_RATE_PER_MINUTE),
  UPLOAD_QUOTA_BYTES: int(0, 1024 ** 4).default(DEFAULTS.UPLOAD_QUOTA_BYTES),
  // Upload URL signing key; unset: derived from WORKER_SECRET with HKDF (never WORKER_SECRET itself).
  UPLOAD_SIGNING_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  EVENT_STREAMS_PER_CALLER: int(1, 10_000).default(DEFAULTS.EVENT_STREAMS_PER_CALLER),
  // Interface to listen on; unset: loopback locally, every interface in production or on Railway.
  HOST: z.string().min(1).optional(),
  // Host header values the servers answer (comma-separated, "*": any); unset: loopback names when bound to loopback.
  ALLOWED_HOSTS: z.string().min(1).optional(),
  // A module exporting `charge(record)`, called once per completed job (see shared/queue/charge.ts).
  CHARGE_HOOK_MODULE: z.string().min(1).optional(),
  // Unset: the local worker. "none" (or empty): no worker, `/process` runs the job inline.
  WORKER_URL: z.string().optional(),
  WORKER_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  WORKER_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/)
    .optional(),
  LEASE_MS: int(1 * SECOND, 10 * MINUTE).default(DEFAULTS.LEASE_MS),
  HEARTBEAT_MS: int(50, 5 * MINUTE).optional(),
  POLL_INTERVAL_MS: int(10, 10 * MINUTE).default(DEFAULTS.POLL_INTERVAL_MS),
  WORKER_CONCURRENCY: int(1, 1000).default(DEFAULTS.WORKER_CONCURRENCY),
  WORKER_DRAIN_MS: int(0, 10 * MINUTE).default(DEFAULTS.WORKER_DRAIN_MS),
  // "latency": fewer jobs in flight while the store answers more than twice as slowly as unloaded
  // (worker/pacing.ts). Unset: on, but for Postgres, whose store batches a turn's calls into one
  // statement — there more in flight is cheaper a job, and the wait is the batch's, not congestion.
  WORKER_PACING: z.enum(['latency', 'off']).optional(),
  MAX_ATTEMPTS: int(1, 10).default(DEFAULTS.MAX_ATTEMPTS),
  RETRY_BASE_MS: int(0, 10 * MINUTE).default(DEFAULTS.RETRY_BASE_MS),
  RETRY_MAX_MS: int(0, 60 * MINUTE).default(DEFAULTS.RETRY_MAX_MS),
  POKE_TIMEOUT_MS: int(10, 10 * SECOND).default(DEFAULTS.POKE_TIMEOUT_MS),
  MAX_BODY_BYTES: int(1024, 4_500_000).default(DEFAULTS.MAX_BODY_BYTES),
  CLAIM_SETTLE_MS: int(0, 10 * SECOND).default(DEFAULTS.CLAIM_SETTLE_MS),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default(DEFAULTS.LOG_LEVEL),
});

export type SupabaseStoreConfig = {
  kind: 'supabase';
  url: string;
  serviceRoleKey: string;
  bucket: string;
  assetsBucket: string;
  atomicCreate: boolean;
  timeoutMs: number;
  retries: number;
};

export type StoreConfig =
  | { kind: 'fs'; dir: string }
  | SupabaseStoreConfig
  | {
      kind: 'postgres';
      /** Statements go here (Supabase: the transaction pooler, port 6543). */
      url: string;
      /** LISTEN needs a session: direct, or the session pooler (port 5432). */
      listenUrl: string;
      schema: string;
      poolMax: number;
      timeoutMs: number;
      retries: number;
      /** Images, previews, uploads: the Supabase assets bucket when Supabase is set, else a folder. */
      assets: SupabaseStoreConfig | { kind: 'fs'; dir: string };
    };

export interface AuthConfig {
  apiKey: string | null;
  /** Supabase Auth access tokens: verified with the project's JWT secret or its JWKS. */
  jwt: { secret: string | null; jwksUrl: string | null; audience: string; issuer: string | null; maxLifeS: number; allowAnonymous: boolean } | null;
  /** No caller credentials and the operator said so: anonymous callers, limited per address. */
  publicApi: boolean;
  /** Take the caller's address from X-Forwarded-For (set by a trusted proxy such as Vercel's). */
  trustProxy: boolean;
}

export interface OpenAIConfig {
  apiKey: string;
  baseUrl: string | undefined;
  model: string;
  timeoutMs: number;
  partialImages: number;
  quality: 'low' | 'medium' | 'high' | 'auto';
}

export interface Config {
  env: 'development' | 'test' | 'production';
  /** NODE_ENV or VERCEL_ENV says production: missing secrets stop the start. */
  production: boolean;
  port: number;
  workerPort: number;
  store: StoreConfig;
  renderer: { kind: 'openai' | 'axonometric' | 'stub'; delayMs: number; openai: OpenAIConfig | null };
  signedUrlTtlS: number;
  uploads: { maxBytes: number; ratePerMinute: number; quotaBytes: number; signingKey: Buffer | null };
  /** Interface the servers bind (null: every one, IPv6 and IPv4) and the Host names they answer (null: any). */
  listen: { host: string | null; allowedHosts: string[] | null };
  eventStreamsPerCaller: number;
  cronSecret: string | null;
  functionBudgetMs: number;
  retentionMs: number;
  pruneIntervalMs: number;
  webhooks: WebhookConfig;
  auth: AuthConfig;
  /** Creates per owner per minute (0: unlimited). */
  createRatePerMinute: number;
  chargeHookModule: string | null;
  /** null: no worker; `/process` runs jobs inline. */
  workerUrl: string | null;
  workerSecret: string | null;
  workerId: string | undefined;
  /** Cut the worker's in-flight work while more only slows its store (worker/pacing.ts). */
  workerPacing: boolean;
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
    /** Running jobs across all workers (0: no cap), and per owner. */
    maxRunning: number;
    maxRunningPerOwner: number;
    startDeadlineMs: number;
    runDeadlineMs: number;
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
  // Deployment rules read the raw values, so one failed start names every problem at once.
  const problems = deploymentProblems(set, env.WORKER_URL);
  const parsed = EnvSchema.safeParse(set);
  if (!parsed.success) {
    throw new ConfigError([...parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`), ...problems]);
  }
  const e = parsed.data;
  // Set alone, a short lease brings a heartbeat to match; only an explicit pair can disagree.
  const heartbeatMs = e.HEARTBEAT_MS ?? Math.min(DEFAULTS.HEARTBEAT_MS, Math.floor(e.LEASE_MS / 5));
  if (heartbeatMs * 3 > e.LEASE_MS) {
    problems.push(`HEARTBEAT_MS (${heartbeatMs}) must be at most a third of LEASE_MS (${e.LEASE_MS}); leave it unset to follow the lease`);
  }
  if (e.RETRY_MAX_MS < e.RETRY_BASE_MS) problems.push('RETRY_MAX_MS must be at least RETRY_BASE_MS');
  const workerUrl = resolveWorkerUrl(env.WORKER_URL, e.WORKER_PORT, problems);
  const store = storeConfig(e, problems);
  const renderer = e.RENDERER === 'auto' ? (e.OPENAI_API_KEY ? 'openai' : 'axonometric') : e.RENDERER;
  if (renderer === 'openai' && !e.OPENAI_API_KEY) problems.push('OPENAI_API_KEY: required for RENDERER=openai');
  if (problems.length > 0) throw new ConfigError(problems);

  return Object.freeze({
    env: e.NODE_ENV,
    production: isProduction(set),
    port: e.PORT,
    workerPort: e.WORKER_PORT,
    store: store!,
    renderer: {
      kind: renderer,
      delayMs: e.RENDER_DELAY_MS,
      openai: e.OPENAI_API_KEY
        ? {
            apiKey: e.OPENAI_API_KEY,
            baseUrl: e.OPENAI_BASE_URL,
            model: e.OPENAI_MODEL,
            timeoutMs: e.OPENAI_TIMEOUT_MS,
            partialImages: e.OPENAI_PARTIAL_IMAGES,
            quality: e.OPENAI_QUALITY,
          }
        : null,
    },
    signedUrlTtlS: e.SIGNED_URL_TTL_S,
    uploads: {
      maxBytes: e.UPLOAD_MAX_BYTES,
      ratePerMinute: e.UPLOAD_RATE_PER_MINUTE,
      quotaBytes: e.UPLOAD_QUOTA_BYTES,
      signingKey: uploadSigningKey(e.UPLOAD_SIGNING_SECRET ?? null, e.WORKER_SECRET ?? null),
    },
    listen: listenConfig(set, e.HOST, e.ALLOWED_HOSTS),
    eventStreamsPerCaller: e.EVENT_STREAMS_PER_CALLER,
    cronSecret: e.CRON_SECRET ?? null,
    functionBudgetMs: e.FUNCTION_BUDGET_MS,
    retentionMs: e.RETENTION_DAYS * 24 * 60 * MINUTE,
    pruneIntervalMs: e.PRUNE_INTERVAL_MS,
    webhooks: {
      secret: e.WEBHOOK_SECRET ?? null,
      // https only in production; private targets only where explicitly allowed.
      policy: { requireHttps: isProduction(set), allowPrivate: e.WEBHOOK_ALLOW_PRIVATE === 'true' },
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      maxAttempts: e.WEBHOOK_MAX_ATTEMPTS,
      backoffMs: [1 * SECOND, 5 * SECOND, 30 * SECOND, 2 * MINUTE],
    },
    auth: {
      apiKey: e.API_KEY ?? null,
      jwt:
        e.AUTH_JWT_SECRET || e.AUTH_JWKS_URL
          ? {
              secret: e.AUTH_JWT_SECRET ?? null,
              jwksUrl: e.AUTH_JWKS_URL ?? null,
              audience: e.AUTH_JWT_AUDIENCE,
              issuer: e.AUTH_JWT_ISSUER ?? null,
              maxLifeS: e.AUTH_JWT_MAX_LIFE_S,
              allowAnonymous: e.AUTH_ALLOW_ANONYMOUS === 'true',
            }
          : null,
      publicApi: e.PUBLIC_API === 'true' && !e.API_KEY && !e.AUTH_JWT_SECRET && !e.AUTH_JWKS_URL,
      trustProxy: e.TRUST_PROXY ? e.TRUST_PROXY === 'true' : Boolean(set.VERCEL),
    },
    createRatePerMinute: e.CREATE_RATE_PER_MINUTE,
    chargeHookModule: e.CHARGE_HOOK_MODULE ?? null,
    workerUrl,
    workerSecret: e.WORKER_SECRET ?? null,
    workerId: e.WORKER_ID,
    workerPacing: (e.WORKER_PACING ?? (e.STORE === 'postgres' ? 'off' : 'latency')) === 'latency',
    queue: {
      leaseMs: e.LEASE_MS,
      heartbeatMs,
      pollIntervalMs: e.POLL_INTERVAL_MS,
      concurrency: e.WORKER_CONCURRENCY,
      drainMs: e.WORKER_DRAIN_MS,
      maxAttempts: e.MAX_ATTEMPTS,
      retryBaseMs: e.RETRY_BASE_MS,
      retryMaxMs: e.RETRY_MAX_MS,
      claimSettleMs: e.CLAIM_SETTLE_MS,
      maxRunning: e.MAX_RUNNING,
      maxRunningPerOwner: e.MAX_RUNNING_PER_OWNER,
      startDeadlineMs: e.START_DEADLINE_MS,
      runDeadlineMs: e.RUN_DEADLINE_MS,
    },
    pokeTimeoutMs: e.POKE_TIMEOUT_MS,
    maxBodyBytes: e.MAX_BODY_BYTES,
    logLevel: e.LOG_LEVEL,
  });
}

function isProduction(set: Record<string, string | undefined>): boolean {
  return set.NODE_ENV === 'production' || set.VERCEL_ENV === 'production';
}

function deploymentProblems(set: Record<string, string | undefined>, rawWorkerUrl: string | undefined): string[] {
  const problems: string[] = [];
  if (isProduction(set)) {
    if (!set.WORKER_SECRET) problems.push('WORKER_SECRET: required in production (it guards /process)');
    if (!set.CRON_SECRET) problems.push('CRON_SECRET: required in production (it guards the cron routes)');
    // Without callers' credentials anyone could spend the operator's render quota: say so explicitly.
    if (!set.API_KEY && !set.AUTH_JWT_SECRET && !set.AUTH_JWKS_URL && set.PUBLIC_API !== 'true') {
      problems.push(
        'API_KEY or AUTH_JWT_SECRET/AUTH_JWKS_URL: production needs a caller credential (or PUBLIC_API=true for an API anyone may call, limited per address)',
      );
    }
  }
  if (set.VERCEL) {
    if ((set.STORE ?? DEFAULTS.STORE) === 'postgres' && !set.SUPABASE_URL)
      problems.push(
        'SUPABASE_URL: STORE=postgres on Vercel keeps images in the Supabase assets bucket (no shared disk); set SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY',
      );
    if ((set.STORE ?? DEFAULTS.STORE) === 'fs') problems.push('STORE: the filesystem store cannot work on Vercel (no shared disk); use STORE=supabase');
    if (rawWorkerUrl === undefined) problems.push('WORKER_URL: required on Vercel (the worker\'s public URL, or "none")');
  }
  return problems;
}

/** Its own key for upload URLs: a leaked upload URL never helps forge a worker or cron call. */
function uploadSigningKey(own: string | null, workerSecret: string | null): Buffer | null {
  const base = own ?? workerSecret;
  if (!base) return null; // local use: a random key of this process (shared/uploads/tokens.ts)
  return Buffer.from(hkdfSync('sha256', base, 'render-jobs', 'upload-url-signing-v1', 32));
}

const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

function listenConfig(set: Record<string, string | undefined>, host: string | undefined, allowed: string | undefined): Config['listen'] {
  // Railway routes to the container's interfaces (its private network is IPv6); locally nothing
  // outside this machine needs the API.
  const bind = host ?? (isProduction(set) || set.RAILWAY_ENVIRONMENT ? null : '127.0.0.1');
  const loopback = bind === '127.0.0.1' || bind === '::1' || bind === 'localhost';
  // A loopback server still answers a page whose name re-resolves to 127.0.0.1 (DNS rebinding): check Host.
  const list =
    allowed
      ?.split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean) ?? (loopback ? LOOPBACK_HOSTS : ['*']);
  return { host: bind, allowedHosts: list.includes('*') ? null : list };
}

function storeConfig(e: z.output<typeof EnvSchema>, problems: string[]): StoreConfig | undefined {
  if (e.STORE === 'fs') return { kind: 'fs', dir: e.JOBS_DIR };
  if (e.STORE === 'postgres') return postgresConfig(e, problems);
  if (!e.SUPABASE_URL) problems.push('SUPABASE_URL: required for STORE=supabase (https://<project>.supabase.co)');
  if (!e.SUPABASE_SERVICE_ROLE_KEY) problems.push('SUPABASE_SERVICE_ROLE_KEY: required for STORE=supabase');
  if (!e.SUPABASE_URL || !e.SUPABASE_SERVICE_ROLE_KEY) return undefined;
  return {
    kind: 'supabase',
    url: e.SUPABASE_URL.replace(/\/+$/, ''),
    serviceRoleKey: e.SUPABASE_SERVICE_ROLE_KEY,
    bucket: e.SUPABASE_BUCKET,
    assetsBucket: e.SUPABASE_ASSETS_BUCKET,
    atomicCreate: e.SUPABASE_ATOMIC_CREATE === 'true',
    timeoutMs: e.STORE_TIMEOUT_MS,
    retries: e.STORE_RETRIES,
  };
}

function postgresConfig(e: z.output<typeof EnvSchema>, problems: string[]): StoreConfig | undefined {
  if (!e.DATABASE_URL) {
    problems.push('DATABASE_URL: required for STORE=postgres (Supabase: Project Settings → Database → transaction pooler, port 6543)');
    return undefined;
  }
  const supabase = e.SUPABASE_URL && e.SUPABASE_SERVICE_ROLE_KEY ? storeConfig({ ...e, STORE: 'supabase' }, problems) : undefined;
  return {
    kind: 'postgres',
    url: e.DATABASE_URL,
    listenUrl: e.DATABASE_LISTEN_URL ?? sessionUrlOf(e.DATABASE_URL),
    schema: e.DATABASE_SCHEMA,
    poolMax: e.DATABASE_POOL_MAX,
    timeoutMs: e.STORE_TIMEOUT_MS,
    retries: e.STORE_RETRIES,
    assets: supabase?.kind === 'supabase' ? supabase : { kind: 'fs', dir: e.JOBS_DIR },
  };
}

/** Supabase's pooler serves transactions on 6543 and sessions on 5432 of the same host. */
export function sessionUrlOf(url: string): string {
  const u = new URL(url);
  if (u.hostname.endsWith('.pooler.supabase.com') && u.port === '6543') u.port = '5432';
  return u.toString();
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
