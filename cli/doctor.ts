// `render-jobs doctor`: is this setup safe to run? The configuration, the store (keys, buckets,
// privacy, and whether create-only writes are atomic on this Supabase server), OpenAI, the worker.
// Every probe object lives under `doctor/` and is deleted afterwards.
import { randomUUID } from 'node:crypto';
import type { Config } from '../shared/config.js';
import { StoreConflictError } from '../shared/errors.js';
import { listAllFolders, type ObjectStore } from '../shared/store/object-store.js';
import { idOfSegment } from '../shared/store/keys.js';
import { openStore } from '../shared/store/open-store.js';
import { PostgresObjectStore } from '../shared/store/postgres-store.js';
import { SupabaseObjectStore } from '../shared/store/supabase-store.js';
import { checkPostgres } from './postgres.js';

export type { Check, CheckStatus } from './check.js';
import type { Check } from './check.js';

/** Concurrent create-only writes of one new key: more than one "success" means a racy server. */
const RACERS = 20;
/** Rounds of racers (each on a new key): one lucky round must not pass a racy server as atomic. */
const ROUNDS = 3;

export async function runDoctor(config: Config, opts: { fetch?: typeof fetch } = {}): Promise<Check[]> {
  const checks: Check[] = [
    { name: 'config', status: 'ok', detail: `${config.production ? 'production' : config.env}; store ${config.store.kind}; renderer ${config.renderer.kind}` },
  ];
  const store = openStore(config);
  if (store instanceof PostgresObjectStore && config.store.kind === 'postgres') {
    checks.push(...(await checkPostgres(config.store, store)));
  }
  if (!checks.some((c) => c.status === 'fail')) checks.push(...(await checkStore(config, store)));
  if (store instanceof PostgresObjectStore) await store.close();
  if (config.renderer.openai) checks.push(await checkOpenAI(config, opts.fetch ?? fetch));
  checks.push(...callerChecks(config));
  if (config.workerUrl) checks.push(await checkWorker(config.workerUrl, config.workerSecret, opts.fetch ?? fetch));
  else checks.push({ name: 'worker', status: 'ok', detail: 'WORKER_URL=none: /process runs jobs inline' });
  return checks;
}

async function checkStore(config: Config, store: ObjectStore): Promise<Check[]> {
  const checks: Check[] = [];
  if (store instanceof SupabaseObjectStore) {
    try {
      const buckets = await store.buckets();
      // No answer at all (connection refused, DNS, timeout): no bucket can be judged, and none needs creating.
      const unreachable = buckets.find((b) => b.errorCode === 'store_unavailable');
      if (unreachable) {
        const url = config.store.kind === 'supabase' ? config.store.url : '';
        return [
          {
            name: 'store connection',
            status: 'fail',
            detail: `cannot connect to Supabase Storage at ${url} (${unreachable.error}). Is SUPABASE_URL right, and is the server up and reachable from here?`,
          },
        ];
      }
      for (const b of buckets) {
        if (b.errorCode === 'store_auth') checks.push({ name: `bucket ${b.name}`, status: 'fail', detail: b.error ?? 'credentials refused' });
        else if (!b.found)
          checks.push({
            name: `bucket ${b.name}`,
            status: 'fail',
            detail: `${b.error ?? 'not found'} — create it (private) in the Supabase dashboard, or fix ${b.role === 'jobs' ? 'SUPABASE_BUCKET' : 'SUPABASE_ASSETS_BUCKET'}; a missing bucket lists as empty, so workers would see no jobs and the API would stop`,
          });
        else if (b.public) checks.push({ name: `bucket ${b.name}`, status: 'fail', detail: 'is public: anyone could read jobs and images; make it private' });
        else checks.push({ name: `bucket ${b.name}`, status: 'ok', detail: `private${b.fileSizeLimit ? `, files up to ${b.fileSizeLimit} bytes` : ''}` });
      }
    } catch (err) {
      checks.push({ name: 'buckets', status: 'fail', detail: (err as Error).message });
    }
    if (checks.some((c) => c.status === 'fail')) return checks;
  }
  const probe = `doctor/${randomUUID()}`;
  try {
    const body = `render-jobs doctor ${new Date().toISOString()}`;
    await store.put(`${probe}/probe.json`, JSON.stringify({ body }), { contentType: 'application/json' });
    const back = await store.get(`${probe}/probe.json`);
    // Supabase reads a bad token as anon: the write may pass through a policy and the read come back empty.
    if (back?.body.toString() !== JSON.stringify({ body }))
      throw new Error('wrote a probe object but could not read it back: is SUPABASE_SERVICE_ROLE_KEY the service_role key?');
    const listed = await store.list(`${probe}/`);
    if (!listed.items.some((i) => i.name === 'probe.json')) throw new Error('the probe object does not show in a listing');
    checks.push({ name: 'store read/write', status: 'ok', detail: `${store.kind}: write, read back, list` });
    checks.push(await checkKeyLayout(store));
    checks.push(await checkAtomicCreate(config, store, `${probe}/race`));
  } catch (err) {
    checks.push({ name: 'store read/write', status: 'fail', detail: (err as Error).message });
  } finally {
    await store.delete(`${probe}/probe.json`).catch(() => undefined);
  }
  return checks;
}

/** Project folders from before keys were case-safe (`jobs/Demo/`): their jobs are not found until moved. */
async function checkKeyLayout(store: ObjectStore): Promise<Check> {
  const legacy: string[] = [];
  for await (const f of listAllFolders(store, 'jobs/')) if (idOfSegment(f.name) === null) legacy.push(f.name);
  if (legacy.length === 0) return { name: 'key layout', status: 'ok', detail: 'case-safe' };
  return {
    name: 'key layout',
    status: 'fail',
    detail: `${legacy.length} project folders from before case-safe keys (${legacy.slice(0, 3).join(', ')}…): run \`render-jobs migrate-keys\``,
  };
}

async function checkAtomicCreate(config: Config, store: ObjectStore, keyBase: string): Promise<Check> {
  let winners = 0;
  for (let round = 0; round < ROUNDS && winners <= 1; round++) {
    const key = `${keyBase}-${round}`;
    const results = await Promise.allSettled(Array.from({ length: RACERS }, (_, i) => store.put(key, `racer-${i}`, { createOnly: true })));
    await store.delete(key).catch(() => undefined);
    winners = results.filter((r) => r.status === 'fulfilled').length;
    const odd = results.find((r) => r.status === 'rejected' && !(r.reason instanceof StoreConflictError)) as PromiseRejectedResult | undefined;
    if (odd) return { name: 'create-only', status: 'fail', detail: `a create-only write failed: ${(odd.reason as Error).message}` };
  }
  const configured = store.capabilities.atomicCreate;
  if (winners === 1) {
    const hint = config.store.kind === 'supabase' && !configured ? ' You may set SUPABASE_ATOMIC_CREATE=true to skip the lease read-back.' : '';
    return { name: 'create-only', status: 'ok', detail: `atomic: 1 of ${RACERS} concurrent creates won.${hint}` };
  }
  if (configured) {
    return {
      name: 'create-only',
      status: 'fail',
      detail: `NOT atomic (${winners} of ${RACERS} concurrent creates "won"), but SUPABASE_ATOMIC_CREATE=true: set it to false, or two workers could run one job.`,
    };
  }
  return {
    name: 'create-only',
    status: 'warn',
    detail: `not atomic (${winners} of ${RACERS} "won": a server before storage-api PR #1392). Safe: claims are confirmed by reading the lease back after CLAIM_SETTLE_MS.`,
  };
}

async function checkOpenAI(config: Config, fetchFn: typeof fetch): Promise<Check> {
  const o = config.renderer.openai!;
  const base = (o.baseUrl ?? 'https://api.openai.com/v1').replace(/\/+$/, '');
  try {
    // Reading the model costs nothing and proves the key and the model's availability.
    const res = await fetchFn(`${base}/models/${encodeURIComponent(o.model)}`, {
      headers: { authorization: `Bearer ${o.apiKey}` },
      signal: AbortSignal.timeout(10_000),
    });
    if (res.ok) return { name: 'openai', status: 'ok', detail: `key accepted; model ${o.model} available` };
    const body = (await res.json().catch(() => ({}))) as { error?: { message?: string } };
    const why = body.error?.message ?? `HTTP ${res.status}`;
    if (res.status === 401) return { name: 'openai', status: 'fail', detail: `OPENAI_API_KEY refused: ${why}` };
    if (res.status === 404) return { name: 'openai', status: 'fail', detail: `model ${o.model} not available to this key: ${why}` };
    return { name: 'openai', status: 'warn', detail: `could not confirm (${why})` };
  } catch (err) {
    return { name: 'openai', status: 'fail', detail: `could not reach ${base}: ${(err as Error).message}` };
  }
}

/** Who may call the API, said plainly: an open or loosely checked API spends the operator's quota. */
function callerChecks(config: Config): Check[] {
  const { apiKey, jwt, publicApi } = config.auth;
  const checks: Check[] = [];
  if (!apiKey && !jwt) {
    checks.push(
      publicApi
        ? {
            name: 'callers',
            status: 'warn',
            detail: 'PUBLIC_API=true: anyone may create jobs, limited per address by CREATE_RATE_PER_MINUTE and UPLOAD_RATE_PER_MINUTE',
          }
        : {
            name: 'callers',
            status: config.production ? 'fail' : 'warn',
            detail: 'no API_KEY or Supabase Auth: the API is open to anyone who can reach it (local use only)',
          },
    );
    return checks;
  }
  checks.push({
    name: 'callers',
    status: 'ok',
    detail: [apiKey ? 'API_KEY' : null, jwt ? `Supabase Auth (${jwt.jwksUrl ? 'JWKS' : 'HS256 secret'})` : null].filter(Boolean).join(' and '),
  });
  if (jwt && !jwt.issuer)
    checks.push({
      name: 'jwt issuer',
      status: 'warn',
      detail: 'AUTH_JWT_ISSUER is not set: tokens from any issuer signed with this key are accepted; set https://<ref>.supabase.co/auth/v1',
    });
  if (jwt?.allowAnonymous)
    checks.push({
      name: 'anonymous sign-ins',
      status: 'warn',
      detail: 'AUTH_ALLOW_ANONYMOUS=true: Supabase anonymous users may render (each is limited like any user)',
    });
  return checks;
}

async function checkWorker(url: string, secret: string | null, fetchFn: typeof fetch): Promise<Check> {
  try {
    const res = await fetchFn(`${url}/healthz`, { signal: AbortSignal.timeout(5_000), headers: secret ? { authorization: `Bearer ${secret}` } : {} });
    const body = (await res.json().catch(() => ({}))) as { workerId?: string };
    if (res.ok) return { name: 'worker', status: 'ok', detail: `${url} healthy${body.workerId ? ` (${body.workerId})` : ''}` };
    return { name: 'worker', status: 'warn', detail: `${url}/healthz answered ${res.status} (stopping or starting?)` };
  } catch (err) {
    return { name: 'worker', status: 'warn', detail: `${url} unreachable (${(err as Error).message}); jobs wait for the next worker that polls` };
  }
}
