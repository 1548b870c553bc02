// The Postgres parts of the CLI: `render-jobs migrate`, and what `doctor` checks of a Postgres
// store (schema version, a NOTIFY round trip, which pooler each connection string goes through).
import { randomUUID } from 'node:crypto';
import type { Config } from '../shared/config.js';
import type { PostgresObjectStore } from '../shared/store/postgres-store.js';
import { migrate, schemaVersion, SCHEMA_VERSION } from '../shared/store/postgres/schema.js';
import { createSession } from '../shared/store/postgres/sql.js';
import type { Check } from './check.js';

type PostgresConfig = Extract<Config['store'], { kind: 'postgres' }>;

export async function runMigrate(store: PostgresObjectStore, schema: string): Promise<string> {
  const client = await store.client();
  try {
    const { from, to } = await migrate(client, schema);
    return from === to ? `schema ${schema}: already at version ${to}` : `schema ${schema}: version ${from ?? 'none'} → ${to}`;
  } finally {
    client.release();
  }
}

/** What a Supabase connection string goes through, from its host and port. */
export function poolerMode(url: string): 'transaction pooler' | 'session pooler' | 'direct' | 'unknown' {
  const u = new URL(url);
  const port = u.port || '5432';
  if (u.hostname.endsWith('.pooler.supabase.com')) return port === '6543' ? 'transaction pooler' : 'session pooler';
  if (/^db\.[a-z0-9]+\.supabase\.co$/.test(u.hostname)) return port === '6543' ? 'transaction pooler' : 'direct';
  return port === '6543' ? 'transaction pooler' : u.hostname === '127.0.0.1' || u.hostname === 'localhost' ? 'direct' : 'unknown';
}

export async function checkPostgres(c: PostgresConfig, store: PostgresObjectStore): Promise<Check[]> {
  const checks: Check[] = [];
  const statements = poolerMode(c.url);
  const listen = poolerMode(c.listenUrl);
  checks.push({ name: 'DATABASE_URL', status: 'ok', detail: `${statements}${statements === 'transaction pooler' ? ' (right for functions)' : ''}` });
  checks.push(
    listen === 'transaction pooler'
      ? {
          name: 'DATABASE_LISTEN_URL',
          status: 'fail',
          detail: 'a transaction pooler cannot hold a LISTEN: use the session pooler (port 5432) or the direct connection',
        }
      : { name: 'DATABASE_LISTEN_URL', status: 'ok', detail: `${listen}${c.listenUrl === c.url ? ' (same as DATABASE_URL)' : ''}` },
  );
  try {
    const client = await store.client();
    let version: number | null;
    try {
      version = await schemaVersion(client, c.schema);
    } finally {
      client.release();
    }
    if (version === SCHEMA_VERSION) checks.push({ name: 'schema', status: 'ok', detail: `${c.schema} at version ${version}` });
    else {
      checks.push({
        name: 'schema',
        status: 'fail',
        detail: `${c.schema} at version ${version ?? 'none'}, this release needs ${SCHEMA_VERSION}: run \`render-jobs migrate\``,
      });
      return checks;
    }
  } catch (err) {
    checks.push({ name: 'schema', status: 'fail', detail: (err as Error).message });
    return checks;
  }
  if (listen !== 'transaction pooler') checks.push(await notifyRoundTrip(c, store));
  return checks;
}

/** LISTEN on a session connection, NOTIFY through the pool, time the answer. */
async function notifyRoundTrip(c: PostgresConfig, store: PostgresObjectStore): Promise<Check> {
  const channel = `${c.schema}_doctor`;
  const token = randomUUID();
  const session = await createSession(c.listenUrl, c.timeoutMs, `render-jobs doctor`);
  try {
    await session.connect();
    await session.query(`listen "${channel}"`);
    const heard = new Promise<void>((resolve) => session.on('notification', (m) => m.payload === token && resolve()));
    const started = performance.now();
    const client = await store.client();
    await client.query('select pg_notify($1, $2)', [channel, token]).finally(() => client.release());
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 5_000).unref());
    if ((await Promise.race([heard, timeout])) === 'timeout') {
      return { name: 'notify', status: 'warn', detail: 'NOTIFY sent, not heard within 5 s: workers will pick up by polling only' };
    }
    return { name: 'notify', status: 'ok', detail: `LISTEN/NOTIFY round trip ${(performance.now() - started).toFixed(1)} ms` };
  } catch (err) {
    return { name: 'notify', status: 'warn', detail: `could not LISTEN (${(err as Error).message}): workers will pick up by polling only` };
  } finally {
    await session.end().catch(() => undefined);
  }
}
