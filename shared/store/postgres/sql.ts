// The one door to Postgres: node-postgres (`pg`), loaded on first use so that functions and
// commands that never open this store do not load the driver.
//
// Why `pg`: the most used Postgres driver for Node (pg-boss and graphile-worker run on it), its
// queries without a `name` are unnamed prepared statements, which Supabase's transaction pooler
// (Supavisor, port 6543) and PgBouncer in transaction mode accept as they are; a plain `Client`
// is the session connection `LISTEN` needs. `postgres` (porsager) names its statements unless told
// `prepare: false`, and hides the connection a LISTEN lives on behind its own reconnect logic.
import type { Pool, PoolClient, Client, QueryResultRow } from 'pg';
import { AppError, StoreAuthError, StoreRequestError, StoreUnavailableError } from '../../errors.js';

/** What the store, the migration and doctor need of a connection or a pool. */
export interface SqlClient {
  query<R extends QueryResultRow = QueryResultRow>(text: string, params?: unknown[]): Promise<{ rows: R[]; rowCount: number | null }>;
}

export interface PoolOptions {
  url: string;
  /** Connections this process opens at most (functions: a few; a worker: about its concurrency / 5). */
  max: number;
  /** A connection attempt or one statement never waits longer. */
  timeoutMs: number;
  /** How the connections show in `pg_stat_activity` (default `render-jobs`). */
  name?: string;
  /**
   * Told when an idle connection of the pool drops (a pooler restart, a backend terminated: 57P01);
   * the pool replaces it on next use. Default: nothing.
   */
  onIdleError?: (err: Error) => void;
}

type PgModule = Pick<typeof import('pg'), 'Pool' | 'Client'>;
let loaded: Promise<PgModule> | undefined;

export function loadPg(): Promise<PgModule> {
  // pg is CommonJS: its classes are on the default export.
  loaded ??= import('pg').then((m) => m.default);
  return loaded;
}

export async function createPool(opts: PoolOptions): Promise<Pool> {
  const pg = await loadPg();
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.max,
    connectionTimeoutMillis: opts.timeoutMs,
    // Bounds a statement on the client side too: a pooler that hangs becomes a retryable error.
    query_timeout: opts.timeoutMs,
    // Idle connections are closed soon: a function instance frozen between requests holds none.
    idleTimeoutMillis: 10_000,
    allowExitOnIdle: true,
    application_name: opts.name ?? 'render-jobs',
  });
  // A pool emits 'error' when an idle client's connection drops; with no listener that is an
  // uncaught exception (or, under a library that catches it, a stack dump on the console).
  pool.on('error', (err) => opts.onIdleError?.(err));
  return pool;
}

/** A session connection of its own (LISTEN, doctor's round trip): never taken from the pool. */
export async function createSession(url: string, timeoutMs: number, name: string): Promise<Client> {
  const pg = await loadPg();
  // Named, so that `pg_stat_activity` tells the listening connections apart.
  return new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, keepAlive: true, application_name: name });
}

export type { Pool, PoolClient, Client };

// SQLSTATE classes that mean "try again": connection exceptions, too many connections,
// operator intervention (a terminated backend, a restarting server), serialization failures.
const TRANSIENT_SQLSTATE = /^(08|53|57P0|40001|40P01)/;
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** What a driver error means for us, with a message that says what to do. */
export function classifyPgError(err: unknown, what: string): AppError {
  if (err instanceof AppError) return err;
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as { code?: string; message?: string };
  const message = e.message ?? String(err);
  const code = e.code ?? '';
  if (code === '42P01' || code === '3F000') {
    return new StoreRequestError(`Postgres store could not ${what}: the schema is missing or old (${message}). Run \`render-jobs migrate\`.`, 500, err);
  }
  if (code === '28P01' || code === '28000' || code === '42501') {
    return new StoreAuthError(`Postgres refused our credentials (${what}: ${message}). Check DATABASE_URL.`, err);
  }
  if (TRANSIENT_SQLSTATE.test(code) || NETWORK_CODES.has(code) || /timeout|terminated|Connection ended|not queryable/i.test(message)) {
    return new StoreUnavailableError(`Postgres store could not ${what}: ${message}${code ? ` (${code})` : ''}`, err);
  }
  return new StoreRequestError(`Postgres store could not ${what}: ${message}${code ? ` (${code})` : ''}`, 500, err);
}
