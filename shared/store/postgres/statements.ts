// The Postgres store's reads, writes, creates and deletes, each in two forms: one statement for a
// batch of calls (postgres/batch.ts gathers them) and the same for one call, with its retries.
import { createHash } from 'node:crypto';
import { StoreConflictError } from '../../errors.js';
import type { StoredObject } from '../object-store.js';
import { Batcher } from './batch.js';

type Result<R> = Promise<{ rows: R[]; rowCount: number | null }>;

/** What the statements need of the store: one try of a statement, a retried one, a retry wrapper. */
export interface StatementRunner {
  query<R extends Record<string, unknown>>(text: string, params: unknown[]): Result<R>;
  sql<R extends Record<string, unknown>>(what: string, text: string, params: unknown[]): Result<R>;
  retry<T>(what: string, fn: () => Promise<T>): Promise<T>;
}

export interface Write {
  key: string;
  bytes: Buffer;
  type: string;
}

export interface BatchedStatements {
  get(key: string): Promise<StoredObject | null>;
  put(write: Write): Promise<void>;
  /** Throws StoreConflictError when the key exists (and holds other bytes than ours). */
  create(write: Write): Promise<void>;
  delete(key: string): Promise<void>;
  /** False when nothing is at `from`; throws StoreConflictError when `to` is taken. */
  move(names: { from: string; to: string }): Promise<boolean>;
}

type Row = { key: string; body: Buffer; content_type: string };

function stored(row: Row | undefined): StoredObject | null {
  if (!row) return null;
  // Only the API's conditional reads use the etag: worked out when asked, not on every read.
  let etag: string | undefined;
  return {
    body: row.body,
    contentType: row.content_type,
    get etag() {
      etag ??= `"${createHash('sha1').update(row.body).digest('base64url')}"`;
      return etag;
    },
  };
}

/**
 * A batch's parameters: the bodies as one binary parameter with each one's offset and length (an
 * array of bytea would travel as hex, twice the bytes, encoded and decoded on both sides).
 */
function columns(items: Write[]): unknown[] {
  const offsets: number[] = [];
  let at = 0;
  for (const w of items) {
    offsets.push(at);
    at += w.bytes.length;
  }
  return [items.map((w) => w.key), Buffer.concat(items.map((w) => w.bytes)), offsets, items.map((w) => w.bytes.length), items.map((w) => w.type)];
}

/** `t`: the quoted table; `slots`: statements in flight at most (the pool's size). */
export function batchedStatements(t: string, slots: number, db: StatementRunner): BatchedStatements {
  const batcher = new Batcher(slots);
  const upsert = `on conflict (key) do update set body = excluded.body, content_type = excluded.content_type, updated_at = now()`;
  const byKey = (w: Write) => w.key;
  const fromColumns = `select k, substring($2::bytea from o + 1 for n), ty from unnest($1::text[], $3::int[], $4::int[], $5::text[]) as x(k, o, n, ty)`;

  const createOne = async (w: Write, uncertainFirst: boolean) => {
    // A create whose answer was lost may have landed: on a retry's conflict, the row is ours if it
    // holds exactly our bytes (lease tokens and job documents are unique).
    let uncertain = uncertainFirst;
    await db.retry(`create ${w.key}`, async () => {
      let inserted: number | null;
      try {
        inserted = (await db.query(`insert into ${t} (key, body, content_type) values ($1, $2, $3) on conflict (key) do nothing`, [w.key, w.bytes, w.type]))
          .rowCount;
      } catch (err) {
        uncertain = true;
        throw err;
      }
      if (inserted === 1) return;
      if (uncertain) {
        const { rows } = await db.query<{ body: Buffer }>(`select body from ${t} where key = $1`, [w.key]);
        if (rows[0]?.body.equals(w.bytes)) return;
      }
      throw new StoreConflictError(w.key);
    });
  };

  return {
    get: batcher.kind<string, StoredObject | null>({
      key: (key) => key,
      async many(keys) {
        const { rows } = await db.query<Row>(`select key, body, content_type from ${t} where key = any($1::text[])`, [keys]);
        const found = new Map(rows.map((r) => [r.key, r]));
        return keys.map((key) => stored(found.get(key)));
      },
      async one(key) {
        const { rows } = await db.sql<Row>(`get ${key}`, `select key, body, content_type from ${t} where key = $1`, [key]);
        return stored(rows[0]);
      },
    }),

    put: batcher.kind<Write, void>({
      key: byKey,
      async many(items) {
        await db.query(`insert into ${t} (key, body, content_type) ${fromColumns} ${upsert}`, columns(items));
        return items.map(() => undefined);
      },
      async one(w) {
        await db.sql(`put ${w.key}`, `insert into ${t} (key, body, content_type) values ($1, $2, $3) ${upsert}`, [w.key, w.bytes, w.type]);
      },
    }),

    create: batcher.kind<Write, void>({
      key: byKey,
      async many(items) {
        const { rows } = await db.query<{ key: string }>(
          `insert into ${t} (key, body, content_type) ${fromColumns} on conflict (key) do nothing returning key`,
          columns(items),
        );
        const inserted = new Set(rows.map((r) => r.key));
        return items.map((w) => (inserted.has(w.key) ? undefined : new StoreConflictError(w.key)));
      },
      // The batch may have been committed before it failed (a lost answer): each create is uncertain.
      one: (w) => createOne(w, true),
    }),

    delete: batcher.kind<string, void>({
      key: (key) => key,
      async many(keys) {
        await db.query(`delete from ${t} where key = any($1::text[])`, [keys]);
        return keys.map(() => undefined);
      },
      async one(key) {
        await db.sql(`delete ${key}`, `delete from ${t} where key = $1`, [key]);
      },
    }),

    // The claim's marker move, one a job: batched like the rest. A taken `to` fails the statement
    // as a whole (a unique violation), and each move is then run alone and gets its own answer.
    move: batcher.kind<{ from: string; to: string }, boolean>({
      key: (m) => m.from,
      async many(moves) {
        const { rows } = await db.query<{ src: string }>(
          `update ${t} as o set key = x.dst, updated_at = now() from unnest($1::text[], $2::text[]) as x(src, dst) where o.key = x.src returning x.src`,
          [moves.map((m) => m.from), moves.map((m) => m.to)],
        );
        const moved = new Set(rows.map((r) => r.src));
        return moves.map((m) => moved.has(m.from));
      },
      async one({ from, to }) {
        try {
          // Retried after a lost answer, a move that landed finds nothing at `from`: false, as for
          // a missing object; callers that must see `to` written write it then.
          const { rowCount } = await db.sql(`move ${from}`, `update ${t} set key = $2, updated_at = now() where key = $1`, [from, to]);
          return rowCount === 1;
        } catch (err) {
          if ((err as { cause?: { code?: string } }).cause?.code === '23505') throw new StoreConflictError(to);
          throw err;
        }
      },
    }),
  };
}
