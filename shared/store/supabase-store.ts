// The Supabase Storage backend: objects in a private bucket, through @supabase/supabase-js.
// Images and uploads go to a second bucket (they are served by signed URL, jobs never are).
import { createHash } from 'node:crypto';
import pRetry from 'p-retry';
import type { SupabaseClient } from '@supabase/supabase-js';
import { ValidationError, StoreAuthError, StoreConflictError, StoreMisconfiguredError, StoreUnavailableError } from '../errors.js';
import { assertValidKey, assertValidPrefix } from './keys.js';
import type { ListOptions, ListPage, ObjectStore, PutOptions, SignedUpload, StoredObject } from './object-store.js';
import { classifyStorageError, isNotFound } from './supabase-errors.js';

export interface SupabaseStoreOptions {
  url: string;
  serviceRoleKey: string;
  /** Job documents, queue markers, leases, cancel requests. */
  bucket: string;
  /** Rendered images, previews and uploaded inputs. */
  assetsBucket: string;
  /** True only for servers with storage-api PR #1392 (hosted Supabase since Sept 2026). */
  atomicCreate: boolean;
  requestTimeoutMs: number;
  /** Extra tries for a failed request that is safe to repeat. */
  retries: number;
  /** Backoff before the first retry; doubles after each. */
  retryBaseMs?: number;
  fetch?: typeof fetch;
}

const MAX_PAGE = 1000;
const ASSET_PREFIXES = ['results/', 'uploads/'];

export class SupabaseObjectStore implements ObjectStore {
  readonly kind = 'supabase';
  readonly capabilities: { atomicCreate: boolean };
  private client: Promise<SupabaseClient> | undefined;
  private verified: Promise<void> | undefined;

  constructor(private readonly opts: SupabaseStoreOptions) {
    this.capabilities = { atomicCreate: opts.atomicCreate };
  }

  bucketOf(key: string): string {
    return ASSET_PREFIXES.some((p) => key.startsWith(p)) ? this.opts.assetsBucket : this.opts.bucket;
  }

  async get(key: string): Promise<StoredObject | null> {
    assertValidKey(key);
    return this.retry(`get ${key}`, async () => {
      const { data, error } = await (await this.files(key)).download(key);
      if (error) {
        if (isNotFound(error)) return null;
        throw classifyStorageError(error, `get ${key}`);
      }
      const body = Buffer.from(await data.arrayBuffer());
      // storage-js hands back the body, not the headers: the etag is the content's own hash.
      return { body, etag: `"${createHash('sha1').update(body).digest('base64url')}"`, contentType: data.type || 'application/octet-stream' };
    });
  }

  async stat(key: string): Promise<{ bytes: number; contentType: string } | null> {
    assertValidKey(key);
    return this.retry(`stat ${key}`, async () => {
      const { data, error } = await (await this.files(key)).info(key);
      if (error) {
        if (isNotFound(error)) return null;
        throw classifyStorageError(error, `stat ${key}`);
      }
      return { bytes: data.size ?? 0, contentType: data.contentType ?? 'application/octet-stream' };
    });
  }

  async put(key: string, body: Buffer | string, opts: PutOptions = {}): Promise<void> {
    assertValidKey(key);
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    const upload = async () => {
      const { error } = await (await this.files(key)).upload(key, bytes, {
        upsert: !opts.createOnly,
        contentType: opts.contentType ?? 'application/octet-stream',
        // storage-js defaults to max-age=3600 and the CDN honours it: a poll would see an old status.
        cacheControl: '0',
      });
      if (error) throw classifyStorageError(error, `put ${key}`);
    };
    if (!opts.createOnly) return this.retry(`put ${key}`, upload);
    // A create-only write without an answer may have landed, or been refused: the server can drop
    // the connection of a refused large upload instead of answering 409 (README of
    // ../shared/supabase-storage, difference 7). So the object decides: ours if it holds exactly our
    // bytes (lease tokens and job documents are unique), someone else's if it holds others, and
    // only if there is none is the write tried again. An unanswered write can also land while it is
    // tried again (it was slow, not lost): the retry's 409 is then decided by the object too.
    let unanswered = false;
    return this.retry(`create ${key}`, async () => {
      try {
        await upload();
      } catch (err) {
        const conflict = err instanceof StoreConflictError;
        if (!(err instanceof StoreUnavailableError) && !(conflict && unanswered)) throw err;
        unanswered = true;
        const existing = await this.get(key);
        if (existing?.body.equals(bytes)) return;
        if (existing) throw new StoreConflictError(key);
        throw err;
      }
    });
  }

  // A missing bucket lists and deletes as `200 []` (storage-api filters rows by bucket id): the
  // first listing or delete of each store instance runs beside a bucket check, so a typo in
  // SUPABASE_BUCKET is an error, never an empty queue. Beside, not before: no added latency.
  async list(prefix: string, opts: ListOptions = {}): Promise<ListPage> {
    return this.afterVerify(this.listEntries(prefix, opts, 'objects'));
  }

  async listFolders(prefix: string, opts: ListOptions = {}): Promise<ListPage> {
    return this.afterVerify(this.listEntries(prefix, opts, 'folders'));
  }

  /** Both buckets exist and this key may read them; once per instance (`render-jobs doctor` says more). */
  verify(): Promise<void> {
    this.verified ??= this.findMissingBuckets().then((missing) => {
      if (missing.length === 0) return;
      // A key the server reads as anon sees no bucket either (no API gateway on self-hosted servers).
      throw new StoreMisconfiguredError(
        `Supabase Storage at ${this.opts.url} has no bucket ${missing.map((b) => `"${b.name}" (${b.setting})`).join(' and ')}: ` +
          'create it (private) or fix the name; if it exists, SUPABASE_SERVICE_ROLE_KEY is not its service_role key. `render-jobs doctor` checks the setup.',
      );
    });
    // A check that could not finish (network, 5xx after retries) is made again by the next call.
    this.verified.catch(() => (this.verified = undefined));
    return this.verified;
  }

  private async findMissingBuckets(): Promise<Array<{ name: string; setting: string }>> {
    const client = await (this.client ??= this.connect());
    const wanted = [
      { name: this.opts.bucket, setting: 'SUPABASE_BUCKET' },
      { name: this.opts.assetsBucket, setting: 'SUPABASE_ASSETS_BUCKET' },
    ];
    const found = await Promise.all(
      wanted.map((b) =>
        this.retry(`read bucket ${b.name}`, async () => {
          const { error } = await client.storage.getBucket(b.name);
          if (!error) return true;
          const err = classifyStorageError(error, `read bucket ${b.name}`);
          if (err instanceof StoreUnavailableError || err instanceof StoreAuthError) throw err;
          return false;
        }),
      ),
    );
    return wanted.filter((_, i) => !found[i]);
  }

  private async afterVerify<T>(op: Promise<T>): Promise<T> {
    const [, result] = await Promise.all([this.verify(), op]);
    return result;
  }

  /**
   * Storage's list v2 (`POST /object/list-v2/{bucket}`), not v1: v1 matches prefixes
   * case-insensitively (`jobs/demo/` also lists `jobs/Demo/`), sorts by `lower(name)` and pages by
   * offset, which shifts under deletes. v2 matches the prefix exactly (`LIKE`), orders by
   * `name COLLATE "C"` and pages by key. Without a delimiter it lists the whole subtree, so objects
   * in sub-folders are dropped here; with one, it gives the sub-folders.
   */
  private async listEntries(prefix: string, opts: ListOptions, want: 'objects' | 'folders'): Promise<ListPage> {
    assertValidPrefix(prefix);
    const limit = Math.min(Math.max(1, opts.limit ?? 100), MAX_PAGE);
    const cursor = opts.cursor ?? (opts.startAfter ? startAfterToken(prefix + opts.startAfter) : undefined);
    if (cursor !== undefined && !Buffer.from(cursor, 'base64').toString().startsWith(`l:${prefix}`))
      throw new ValidationError('The cursor is not one this store handed out.');
    return this.retry(`list ${prefix}`, async () => {
      const { data, error } = await (await this.files(prefix)).listV2({ prefix, limit, cursor, with_delimiter: want === 'folders' });
      if (error) throw classifyStorageError(error, `list ${prefix}`);
      const names =
        want === 'folders' ? data.folders.map((f) => f.name.slice(prefix.length).replace(/\/$/, '')) : data.objects.map((o) => o.name.slice(prefix.length));
      const items = names.filter((name) => name !== '' && !name.includes('/') && !name.startsWith('.')).map((name) => ({ name, key: prefix + name }));
      return { items, cursor: data.hasNext && data.nextCursor ? data.nextCursor : null };
    });
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    return this.afterVerify(
      this.retry(`delete ${key}`, async () => {
        const { error } = await (await this.files(key)).remove([key]);
        if (error) throw classifyStorageError(error, `delete ${key}`);
      }),
    );
  }

  /** `DELETE /object/{bucket}` takes up to 1,000 keys (storage-api's MAX_OBJECTS_PER_REQUEST). */
  async deleteMany(keys: string[]): Promise<void> {
    keys.forEach(assertValidKey);
    const byBucket = new Map<string, string[]>();
    for (const key of keys) {
      const bucket = this.bucketOf(key);
      const inBucket = byBucket.get(bucket);
      if (inBucket) inBucket.push(key);
      else byBucket.set(bucket, [key]);
    }
    const batches = [...byBucket.values()].flatMap((all) =>
      Array.from({ length: Math.ceil(all.length / MAX_PAGE) }, (_, i) => all.slice(i * MAX_PAGE, (i + 1) * MAX_PAGE)),
    );
    await this.afterVerify(
      Promise.all(
        batches.map((batch) =>
          this.retry(`delete ${batch.length} keys from ${batch[0]}`, async () => {
            const { error } = await (await this.files(batch[0]!)).remove(batch);
            if (error) throw classifyStorageError(error, `delete ${batch[0]}`);
          }),
        ),
      ),
    );
  }

  /**
   * `POST /object/move`: the row is renamed in one transaction (readers find it at one name or the
   * other). A missing source answers 404, a taken destination 409 (its unique index), either
   * leaving both as they were. Repeated after a lost answer, a move that landed finds no source.
   */
  async move(from: string, to: string): Promise<boolean> {
    assertValidKey(from);
    assertValidKey(to);
    if (this.bucketOf(from) !== this.bucketOf(to)) throw new ValidationError(`cannot move ${from} to ${to}: they are in different buckets`);
    return this.retry(`move ${from}`, async () => {
      const { error } = await (await this.files(from)).move(from, to);
      if (!error) return true;
      if (isNotFound(error)) return false;
      const err = classifyStorageError(error, `move ${from}`);
      throw err instanceof StoreConflictError ? new StoreConflictError(to) : err;
    });
  }

  async signedUrl(key: string, expiresInS: number): Promise<string> {
    assertValidKey(key);
    return this.retry(`sign ${key}`, async () => {
      const { data, error } = await (await this.files(key)).createSignedUrl(key, expiresInS);
      if (error) throw classifyStorageError(error, `sign ${key}`);
      return data.signedUrl;
    });
  }

  async signedUpload(key: string): Promise<SignedUpload> {
    assertValidKey(key);
    return this.retry(`sign upload ${key}`, async () => {
      const { data, error } = await (await this.files(key)).createSignedUploadUrl(key);
      if (error) throw classifyStorageError(error, `sign upload ${key}`);
      return { url: data.signedUrl, method: 'PUT', headers: { 'x-upsert': 'false' } };
    });
  }

  /** The buckets this store uses, as the server sees them (for `render-jobs doctor`). */
  async buckets(): Promise<
    Array<{ name: string; role: 'jobs' | 'assets'; found: boolean; public?: boolean; fileSizeLimit?: number | null; error?: string; errorCode?: string }>
  > {
    const client = await (this.client ??= this.connect());
    const roles = [
      { name: this.opts.bucket, role: 'jobs' as const },
      { name: this.opts.assetsBucket, role: 'assets' as const },
    ];
    return Promise.all(
      roles.map(async ({ name, role }) => {
        const { data, error } = await client.storage.getBucket(name);
        if (error) {
          const err = classifyStorageError(error, `read bucket ${name}`);
          return { name, role, found: false, error: err.message, errorCode: err.code };
        }
        return { name, role, found: true, public: data.public, fileSizeLimit: data.file_size_limit ?? null };
      }),
    );
  }

  private retry<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return pRetry(fn, {
      retries: this.opts.retries,
      minTimeout: this.opts.retryBaseMs ?? 100,
      maxTimeout: 5_000,
      randomize: true,
      shouldRetry: ({ error }) => (error as { retryable?: boolean }).retryable === true,
    }).catch((err: unknown) => {
      throw err instanceof Error && 'code' in err ? err : classifyStorageError(err, what);
    });
  }

  private async files(key: string) {
    this.client ??= this.connect();
    return (await this.client).storage.from(this.bucketOf(key));
  }

  // Loaded on first use: the fs path and functions that never touch storage skip the SDK.
  private async connect(): Promise<SupabaseClient> {
    const [{ createClient }, ws] = await Promise.all([import('@supabase/supabase-js'), import('ws')]);
    const base = this.opts.fetch ?? fetch;
    const timeoutMs = this.opts.requestTimeoutMs;
    // Every request is bounded: a hung connection becomes a retryable error, not a stuck worker.
    const boundedFetch: typeof fetch = (input, init) => {
      const timeout = AbortSignal.timeout(timeoutMs);
      return base(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout });
    };
    return createClient(this.opts.url, this.opts.serviceRoleKey, {
      auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
      // Node 20 has no global WebSocket; realtime-js needs one at construction even if unused.
      realtime: { transport: ws.default as never },
      global: { fetch: boundedFetch },
    });
  }
}

/**
 * A list-v2 continuation token that starts after `key`: the server's own format, lines of
 * `{part}:{value}` in base64, where `l` is the key to start after (storage's
 * src/storage/object.ts, encodeContinuationToken). The tokens it hands out are the same.
 */
function startAfterToken(key: string): string {
  return Buffer.from(`l:${key}`).toString('base64');
}
