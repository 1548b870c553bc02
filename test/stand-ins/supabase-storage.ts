// Supabase Storage, stood in for at the HTTP level: an in-memory copy of the REST routes storage-js
// calls, answering as storage-api does (shapes from supabase/storage src/internal/errors and
// src/http). Errors go out as HTTP 400 with the real code in the body's `statusCode` string, as
// the error handler renders them (only "500" keeps its status); `realStatus` sends the real status,
// as some newer routes do. `atomicCreate: false` behaves like servers before storage-api PR #1392:
// concurrent create-only uploads of one new key "succeed" in varying numbers (1..N) and the last
// writer's bytes stay.
//
// What the real server (../shared/supabase-storage, commit 4fa61fba) does and this reproduces:
// listings match prefixes case-insensitively and collapse case variants of a folder into one, sort
// by lower(name) (C collation, full path), list and remove on a missing bucket answer `200 []`,
// `limit: 0` is a 400, keys outside storage-api's character set (`~`, `%`, …) are 400 InvalidKey.
// On demand: a read racing an overwrite answers 500 (`overwriteRace`), a refused large upload
// drops the connection (`resetRefusedUploadsOver`), latency with jitter (`latencyMs`, `latencyJitterMs`).
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { delay, http, HttpResponse, type HttpHandler } from 'msw';
import { type FaultPlan, withFault } from './faults.js';
import { SortedMap } from './sorted-map.js';

export const SERVICE_ROLE_KEY = 'stand-in-service-role-key';
export const ANON_KEY = 'stand-in-anon-key';

interface StoredFile {
  id: string;
  body: Buffer;
  contentType: string;
  cacheControl: string;
  etag: string;
  createdAt: string;
  updatedAt: string;
}

interface Bucket {
  files: SortedMap<StoredFile>;
  fileSizeLimit: number | null;
  public: boolean;
}

export interface SupabaseStorageOptions {
  /** The project URL (`SUPABASE_URL`); set later with `setOrigin` for a loopback server. */
  origin?: string;
  buckets?: Record<string, { fileSizeLimit?: number; public?: boolean }>;
  /** false: create-only is racy, as before storage-api PR #1392. Default true. */
  atomicCreate?: boolean;
  /** true: errors carry their real HTTP status instead of 400. Default false. */
  realStatus?: boolean;
  /** Added to every request: a network round trip. */
  latencyMs?: number;
  /** Up to this much more, at random, per request (the real server's p90 is 3-4x its p50). */
  latencyJitterMs?: number;
  /**
   * true: an overwrite replaces the old file in two steps, and a read arriving in between answers
   * HTTP 500, as storage-api's file backend does without its deferred-deletion queue.
   */
  overwriteRace?: boolean;
  /** A refused upload (409, 413) with a body of at least this many bytes drops the connection instead. */
  resetRefusedUploadsOver?: number;
  faults?: FaultPlan;
}

type Op = 'info' | 'upload' | 'update' | 'download' | 'list' | 'remove' | 'move' | 'copy' | 'sign' | 'signed-get' | 'upload-sign' | 'signed-upload' | 'bucket';

const ERRORS = {
  notFound: { statusCode: '404', code: 'NoSuchKey', error: 'not_found', message: 'Object not found' },
  noBucket: { statusCode: '404', code: 'NoSuchBucket', error: 'Bucket not found', message: 'Bucket not found' },
  exists: { statusCode: '409', code: 'ResourceAlreadyExists', error: 'Duplicate', message: 'The resource already exists' },
  rls: { statusCode: '403', code: 'AccessDenied', error: 'Unauthorized', message: 'new row violates row-level security policy' },
  lock: { statusCode: '503', code: 'LockTimeout', error: 'acquiring_lock_timeout', message: 'acquiring lock timeout' },
  internal: { statusCode: '500', code: 'InternalError', error: 'InternalError', message: 'Internal server error' },
  dbTimeout: { statusCode: '544', code: 'DatabaseTimeout', error: 'DatabaseTimeout', message: 'The connection to the database timed out' },
  tooLarge: { statusCode: '413', code: 'EntityTooLarge', error: 'Payload too large', message: 'The object exceeded the maximum allowed size' },
  invalidKey: (key: string) => ({ statusCode: '400', code: 'InvalidKey', error: 'InvalidKey', message: `Invalid key: ${key}` }),
  limit: { statusCode: '400', code: 'InvalidRequest', error: 'Error', message: 'body/limit must be >= 1' },
  badToken: { statusCode: '400', code: 'InvalidJWT', error: 'InvalidJWT', message: 'invalid signature' },
  expired: { statusCode: '400', code: 'InvalidJWT', error: 'InvalidJWT', message: 'jwt expired' },
} as const;
type ErrorBody = { statusCode: string; code: string; error: string; message: string };

/** storage-api's object key character set (src/storage/limits.ts): `~`, `%`, quotes and the like are refused. */
const VALID_OBJECT_KEY = /^[A-Za-z0-9_/!.*'() &$=@;:+,?-]*$/;

export class SupabaseStorageStandIn {
  origin: string;
  readonly buckets = new Map<string, Bucket>();
  atomicCreate: boolean;
  realStatus: boolean;
  latencyMs: number;
  latencyJitterMs: number;
  overwriteRace: boolean;
  resetRefusedUploadsOver: number;
  faults: FaultPlan | undefined;
  /** Keys whose old file is gone and new one not yet in place (overwriteRace). */
  private readonly replacing = new Set<string>();
  /** Requests answered, per route. */
  readonly counts: Record<string, number> = {};
  /** Every `cache-control` a write carried, per key: jobs must never be cached. */
  readonly cacheControlOf = new Map<string, string>();
  private readonly signingSecret = randomUUID();

  constructor(opts: SupabaseStorageOptions = {}) {
    this.origin = opts.origin ?? `http://supabase-${randomUUID().slice(0, 8)}.test`;
    for (const [name, b] of Object.entries(opts.buckets ?? { 'render-jobs': {}, 'render-assets': {} })) {
      this.buckets.set(name, { files: new SortedMap<StoredFile>(), fileSizeLimit: b.fileSizeLimit ?? null, public: b.public ?? false });
    }
    this.atomicCreate = opts.atomicCreate ?? true;
    this.realStatus = opts.realStatus ?? false;
    this.latencyMs = opts.latencyMs ?? 0;
    this.latencyJitterMs = opts.latencyJitterMs ?? 0;
    this.overwriteRace = opts.overwriteRace ?? false;
    this.resetRefusedUploadsOver = opts.resetRefusedUploadsOver ?? Infinity;
    this.faults = opts.faults;
  }

  setOrigin(origin: string): void {
    this.origin = origin.replace(/\/+$/, '');
  }

  get totalRequests(): number {
    return Object.values(this.counts).reduce((a, b) => a + b, 0);
  }

  resetCounts(): void {
    for (const k of Object.keys(this.counts)) delete this.counts[k];
  }

  /** The msw handlers; requests to other origins fall through to the next handler. */
  get handlers(): HttpHandler[] {
    return [http.all(/\/storage\/v1\/.*/, ({ request }) => this.handle(request))];
  }

  async handle(request: Request): Promise<Response | undefined> {
    const url = new URL(request.url);
    if (url.origin !== this.origin || !url.pathname.startsWith('/storage/v1/')) return undefined;
    const latency = this.latencyMs + Math.random() * this.latencyJitterMs;
    if (latency > 0) await delay(latency);
    const route = this.route(request.method, url.pathname.slice('/storage/v1'.length));
    if (!route)
      return HttpResponse.json({ statusCode: '404', error: 'Not Found', message: `Route ${request.method}:${url.pathname} not found` }, { status: 404 });
    this.counts[route.op] = (this.counts[route.op] ?? 0) + 1;
    // The API gateway checks the apikey before storage-api sees the request (signed URLs carry their own token).
    const signed = route.op === 'signed-get' || route.op === 'signed-upload';
    const apikey = request.headers.get('apikey');
    if (!signed && apikey !== SERVICE_ROLE_KEY && apikey !== ANON_KEY) {
      return HttpResponse.json({ message: 'Invalid API key', hint: 'Double check your Supabase `anon` or `service_role` API key.' }, { status: 401 });
    }
    const role = request.headers.get('authorization') === `Bearer ${SERVICE_ROLE_KEY}` ? 'service' : 'anon';
    return withFault(
      this.faults?.(route.op),
      () => route.run(request, url, role),
      (status) => this.statusFault(status),
    );
  }

  private route(method: string, path: string): { op: Op; run: (req: Request, url: URL, role: Role) => Promise<Response> } | undefined {
    const m = (re: RegExp) => re.exec(path);
    let match: RegExpExecArray | null;
    if (method === 'POST' && (match = m(/^\/object\/list\/([^/]+)$/))) return { op: 'list', run: (r, _u, role) => this.list(match![1]!, r, role) };
    if (method === 'POST' && (match = m(/^\/object\/list-v2\/([^/]+)$/))) return { op: 'list', run: (r, _u, role) => this.listV2(match![1]!, r, role) };
    if (method === 'POST' && m(/^\/object\/move$/)) return { op: 'move', run: (r, _u, role) => this.moveOrCopy(r, role, true) };
    if (method === 'POST' && m(/^\/object\/copy$/)) return { op: 'copy', run: (r, _u, role) => this.moveOrCopy(r, role, false) };
    if (method === 'POST' && (match = m(/^\/object\/upload\/sign\/([^/]+)\/(.+)$/)))
      return { op: 'upload-sign', run: (r, _u, role) => this.signUpload(match![1]!, decode(match![2]!), r, role) };
    if (method === 'PUT' && (match = m(/^\/object\/upload\/sign\/([^/]+)\/(.+)$/)))
      return { op: 'signed-upload', run: (r, u) => this.signedUpload(match![1]!, decode(match![2]!), r, u) };
    if (method === 'POST' && (match = m(/^\/object\/sign\/([^/]+)\/(.+)$/)))
      return { op: 'sign', run: (r, _u, role) => this.sign(match![1]!, decode(match![2]!), r, role) };
    if (method === 'GET' && (match = m(/^\/object\/sign\/([^/]+)\/(.+)$/)))
      return { op: 'signed-get', run: (_r, u) => this.signedGet(match![1]!, decode(match![2]!), u) };
    if (method === 'GET' && (match = m(/^\/object\/info\/(?:authenticated\/)?([^/]+)\/(.+)$/)))
      return { op: 'info', run: async (_r, _u, role) => this.info(match![1]!, decode(match![2]!), role) };
    if (method === 'GET' && (match = m(/^\/object\/(?:authenticated\/)?([^/]+)\/(.+)$/)))
      return { op: 'download', run: (r, _u, role) => this.download(match![1]!, decode(match![2]!), r, role) };
    if ((method === 'POST' || method === 'PUT') && (match = m(/^\/object\/([^/]+)\/(.+)$/))) {
      const op = method === 'POST' ? 'upload' : 'update';
      return { op, run: (r, _u, role) => this.upload(match![1]!, decode(match![2]!), r, role, op) };
    }
    if (method === 'DELETE' && (match = m(/^\/object\/([^/]+)$/))) return { op: 'remove', run: (r, _u, role) => this.remove(match![1]!, r, role) };
    if (method === 'GET' && (match = m(/^\/bucket\/([^/]+)$/))) return { op: 'bucket', run: async (_r, _u, role) => this.getBucket(match![1]!, role) };
    return undefined;
  }

  private error(body: ErrorBody): Response {
    const status = this.realStatus || body.statusCode === '500' ? Number(body.statusCode) : 400;
    return HttpResponse.json(body, { status: status === 544 ? 544 : status });
  }

  private statusFault(status: number): Response {
    if (status === 503) return this.error(ERRORS.lock);
    if (status === 544) return this.error(ERRORS.dbTimeout);
    if (status >= 500) return HttpResponse.json({ ...ERRORS.internal, statusCode: String(status) }, { status });
    return HttpResponse.json({ statusCode: String(status), error: 'Error', message: `HTTP ${status}` }, { status });
  }

  private async upload(bucketName: string, path: string, req: Request, role: Role, op: 'upload' | 'update'): Promise<Response> {
    const bucket = this.buckets.get(bucketName);
    if (!bucket) return this.error(ERRORS.noBucket);
    if (!VALID_OBJECT_KEY.test(path)) return this.error(ERRORS.invalidKey(path));
    if (role !== 'service') return this.error(ERRORS.rls);
    const body = Buffer.from(await req.arrayBuffer());
    if (bucket.fileSizeLimit !== null && body.length > bucket.fileSizeLimit) return this.refuse(ERRORS.tooLarge, body);
    // PUT (update) on a missing key creates it; POST without x-upsert refuses an existing key.
    const upsert = op === 'update' || req.headers.get('x-upsert') === 'true';
    const write = () => this.write(bucketName, path, body, req.headers.get('content-type'), req.headers.get('cache-control'));
    if (upsert) {
      if (!this.overwriteRace || !bucket.files.has(path)) return HttpResponse.json(write());
      // The file backend deletes the old file, then moves the new one in: a read in between fails.
      const key = `${bucketName}/${path}`;
      this.replacing.add(key);
      await delay(5 + Math.random() * 10);
      this.replacing.delete(key);
      return HttpResponse.json(write());
    }
    if (this.atomicCreate) {
      if (bucket.files.has(path)) return this.refuse(ERRORS.exists, body);
      return HttpResponse.json(write());
    }
    // The old server: the existence check and the write are not one step (the bytes go to the
    // backend in between, tens of milliseconds). Uploads that checked before the first write landed
    // all overwrite the object and are each told they succeeded: 1..N winners, the last one's bytes stay.
    await delay(Math.random() * 20);
    if (bucket.files.has(path)) return this.refuse(ERRORS.exists, body);
    await delay(10 + Math.random() * 20);
    return HttpResponse.json(write());
  }

  /** A refused upload; a large one may surface as a dropped connection (the server stops reading it). */
  private refuse(body: ErrorBody, upload: Buffer): Response {
    if (upload.length >= this.resetRefusedUploadsOver) return HttpResponse.error();
    return this.error(body);
  }

  private write(bucketName: string, path: string, body: Buffer, contentType: string | null, cacheControl: string | null) {
    const files = this.buckets.get(bucketName)!.files;
    const now = new Date().toISOString();
    const old = files.get(path);
    // One object id per key: the old server gave every racing winner the same id.
    const id = old?.id ?? randomUUID();
    files.set(path, {
      id,
      body,
      contentType: contentType ?? 'text/plain;charset=UTF-8',
      cacheControl: cacheControl ?? 'max-age=3600',
      etag: `"${createHash('md5').update(body).digest('hex')}"`,
      createdAt: old?.createdAt ?? now,
      updatedAt: now,
    });
    this.cacheControlOf.set(`${bucketName}/${path}`, cacheControl ?? 'max-age=3600');
    return { Id: id, Key: `${bucketName}/${path}` };
  }

  private async download(bucketName: string, path: string, req: Request, role: Role): Promise<Response> {
    const bucket = this.buckets.get(bucketName);
    // A bad or missing JWT is read as anon, and anon sees nothing in a private bucket: a 404, not a 403.
    if (!bucket) return this.error(ERRORS.noBucket);
    if (!VALID_OBJECT_KEY.test(path)) return this.error(ERRORS.invalidKey(path));
    if (this.replacing.has(`${bucketName}/${path}`)) return this.error(ERRORS.internal);
    const file = role === 'service' ? bucket.files.get(path) : undefined;
    if (!file) return this.error(ERRORS.notFound);
    return this.fileResponse(file, req.headers.get('if-none-match'));
  }

  private info(bucketName: string, path: string, role: Role): Response {
    const bucket = this.buckets.get(bucketName);
    if (!bucket) return this.error(ERRORS.noBucket);
    if (!VALID_OBJECT_KEY.test(path)) return this.error(ERRORS.invalidKey(path));
    const file = role === 'service' ? bucket.files.get(path) : undefined;
    if (!file) return this.error(ERRORS.notFound);
    return HttpResponse.json({
      id: file.id,
      version: file.id,
      name: path,
      bucket_id: bucketName,
      created_at: file.createdAt,
      last_modified: file.updatedAt,
      size: file.body.length,
      cache_control: file.cacheControl,
      content_type: file.contentType,
      etag: file.etag,
      metadata: {},
    });
  }

  private fileResponse(file: StoredFile, ifNoneMatch: string | null): Response {
    const headers = { etag: file.etag, 'cache-control': file.cacheControl, 'last-modified': new Date(file.updatedAt).toUTCString() };
    if (ifNoneMatch === file.etag) return new HttpResponse(null, { status: 304, headers });
    return new HttpResponse(new Uint8Array(file.body), {
      status: 200,
      headers: { ...headers, 'content-type': file.contentType, 'content-length': String(file.body.length) },
    });
  }

  private async list(bucketName: string, req: Request, role: Role): Promise<Response> {
    const opts = (await req.json()) as { prefix?: string; limit?: number; offset?: number; sortBy?: { column?: string; order?: string } };
    if (opts.limit === 0) return this.error(ERRORS.limit);
    const bucket = this.buckets.get(bucketName);
    // The search runs over the objects table filtered by bucket id: no such bucket, no rows.
    if (!bucket || role !== 'service') return HttpResponse.json([]); // RLS hides every row from anon
    // The prefix is a folder path: a partial name lists nothing, a missing folder lists [].
    // Matching is on lower(name): `x/demo` lists `x/Demo/…` and `x/DEMO/…` too.
    const folder = (opts.prefix ?? '').replace(/\/+$/, '');
    const start = folder === '' ? '' : `${folder}/`.toLowerCase();
    // Rows in lower(name) order (C collation, whole path; ties in insertion order, as a heap scan).
    const rows = [...bucket.files].filter(([path]) => path.toLowerCase().startsWith(start));
    const offset = opts.offset ?? 0;
    const limit = opts.limit ?? 100;
    if ((opts.sortBy?.column ?? 'name') !== 'name')
      return HttpResponse.json(this.listByColumn(rows, start, opts.sortBy?.order === 'desc').slice(offset, offset + limit));
    const lower = (p: string) => p.toLowerCase();
    rows.sort(([a], [b]) => (lower(a) < lower(b) ? -1 : lower(a) > lower(b) ? 1 : 0));
    // A folder is named after its first row; its case variants collapse into it.
    const entries: object[] = [];
    const folders = new Set<string>();
    for (const [path, file] of rows) {
      const rest = path.slice(start.length);
      const slash = rest.indexOf('/');
      if (slash >= 0) {
        const name = rest.slice(0, slash);
        if (folders.has(name.toLowerCase())) continue;
        folders.add(name.toLowerCase());
        entries.push({ name, id: null, updated_at: null, created_at: null, last_accessed_at: null, metadata: null });
      } else {
        entries.push({
          name: rest,
          id: file.id,
          updated_at: file.updatedAt,
          created_at: file.createdAt,
          last_accessed_at: file.updatedAt,
          metadata: {
            eTag: file.etag,
            size: file.body.length,
            mimetype: file.contentType,
            cacheControl: file.cacheControl,
            lastModified: file.updatedAt,
            contentLength: file.body.length,
            httpStatusCode: 200,
          },
        });
      }
    }
    if (opts.sortBy?.order === 'desc') entries.reverse();
    return HttpResponse.json(entries.slice(offset, offset + limit));
  }

  /**
   * storage.search sorted by another column than name: folders grouped by their exact path token
   * (case variants apart) in code-unit order, then the files (still matched case-insensitively).
   */
  private listByColumn(rows: Array<[string, StoredFile]>, start: string, desc: boolean): object[] {
    const folders = new Set<string>();
    const files: Array<[string, StoredFile]> = [];
    for (const [path, file] of rows) {
      const rest = path.slice(start.length);
      const slash = rest.indexOf('/');
      if (slash >= 0) folders.add(rest.slice(0, slash));
      else files.push([rest, file]);
    }
    const folderNames = [...folders].sort();
    files.sort(([, a], [, b]) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
    if (desc) {
      folderNames.reverse();
      files.reverse();
    }
    return [
      ...folderNames.map((name) => ({ name, id: null, updated_at: null, created_at: null, last_accessed_at: null, metadata: null })),
      ...files.map(([name, file]) => ({
        name,
        id: file.id,
        updated_at: file.updatedAt,
        created_at: file.createdAt,
        last_accessed_at: file.updatedAt,
        metadata: { size: file.body.length, mimetype: file.contentType },
      })),
    ];
  }

  /**
   * List v2 as the server does it: the prefix matched exactly (`LIKE`, case-sensitive), names in
   * byte order (`COLLATE "C"`), keyset paging by a base64 token of `l:{last name}`, at most 1,000
   * a page. Without a delimiter every object under the prefix (sub-folders too), with full names;
   * with `with_delimiter`, the sub-folders as `{key, name: prefix + key + "/"}` and the objects
   * directly inside. A missing bucket lists as empty, as on the real server.
   */
  private async listV2(bucketName: string, req: Request, role: Role): Promise<Response> {
    const opts = (await req.json()) as { prefix?: string; limit?: number; cursor?: string; with_delimiter?: boolean };
    const bucket = this.buckets.get(bucketName);
    const empty = { hasNext: false, folders: [], objects: [] };
    if (!bucket || role !== 'service') return HttpResponse.json(empty);
    const prefix = opts.prefix ?? '';
    let startAfter = '';
    if (opts.cursor) {
      const decoded = Buffer.from(opts.cursor, 'base64').toString();
      const match = /^l:(.*)$/s.exec(decoded);
      if (!match)
        return this.error({ statusCode: '400', code: 'InvalidParameter', error: 'Bad Request', message: 'Invalid Parameter continuation token' } as never);
      startAfter = match[1]!;
    }
    const limit = Math.min(opts.limit ?? 1000, 1000);
    // Walk the keys in order from the prefix (or the cursor), one entry per object or sub-folder,
    // until one more than a page is seen: the server's index scan, not a sort of the bucket.
    const page: Array<{ id: string | null; name: string; key?: string; file?: StoredFile }> = [];
    let hasNext = false;
    let folder: string | null = null;
    for (const path of startAfter > prefix ? bucket.files.keysAfter(startAfter) : bucket.files.keysFrom(prefix)) {
      if (!path.startsWith(prefix)) break; // a prefix's keys are contiguous in this order
      if (folder !== null && path.startsWith(folder)) continue;
      const slash = opts.with_delimiter ? path.indexOf('/', prefix.length) : -1;
      const name = slash >= 0 ? path.slice(0, slash + 1) : path;
      if (slash >= 0) folder = name;
      if (name <= startAfter) continue;
      if (page.length === limit) {
        hasNext = true;
        break;
      }
      page.push(
        slash >= 0 ? { id: null, name, key: path.slice(prefix.length, slash) } : { id: bucket.files.get(path)!.id, name, file: bucket.files.get(path)! },
      );
    }
    const last = page.at(-1)?.name;
    const objects = page
      .filter((e) => e.id !== null)
      .map(({ id, name, file }) => ({
        id,
        name,
        updated_at: file!.updatedAt,
        created_at: file!.createdAt,
        last_accessed_at: file!.updatedAt,
        metadata: {
          eTag: file!.etag,
          size: file!.body.length,
          mimetype: file!.contentType,
          cacheControl: file!.cacheControl,
          lastModified: file!.updatedAt,
          contentLength: file!.body.length,
          httpStatusCode: 200,
        },
      }));
    const folders = page
      .filter((e) => e.id === null)
      .map(({ key, name }) => ({ key, name, id: null, updated_at: null, created_at: null, last_accessed_at: null, metadata: null }));
    return HttpResponse.json({
      hasNext,
      ...(hasNext && last ? { nextCursor: Buffer.from(`l:${last}`).toString('base64'), nextCursorKey: last } : {}),
      folders,
      objects,
    });
  }

  private async remove(bucketName: string, req: Request, role: Role): Promise<Response> {
    const { prefixes } = (await req.json()) as { prefixes: string[] };
    const bucket = this.buckets.get(bucketName);
    // A delete filtered by bucket id: no such bucket deletes nothing, and says so with `200 []`.
    if (!bucket || role !== 'service') return HttpResponse.json([]);
    const removed: object[] = [];
    for (const path of prefixes) {
      const file = bucket.files.get(path);
      if (!file) continue; // a missing key is no error
      bucket.files.delete(path);
      removed.push({
        bucket_id: bucketName,
        name: path,
        id: file.id,
        updated_at: file.updatedAt,
        created_at: file.createdAt,
        metadata: { size: file.body.length, mimetype: file.contentType },
      });
    }
    return HttpResponse.json(removed);
  }

  private async moveOrCopy(req: Request, role: Role, move: boolean): Promise<Response> {
    const { bucketId, sourceKey, destinationKey, destinationBucket } = (await req.json()) as Record<string, string>;
    const from = this.buckets.get(bucketId!);
    const to = this.buckets.get(destinationBucket ?? bucketId!);
    if (!from || !to) return this.error(ERRORS.noBucket);
    if (role !== 'service') return this.error(ERRORS.notFound);
    const file = from.files.get(sourceKey!);
    if (!file) return this.error(ERRORS.notFound);
    if (to.files.has(destinationKey!)) return this.error(ERRORS.exists);
    to.files.set(destinationKey!, { ...file, id: move ? file.id : randomUUID() });
    if (move) from.files.delete(sourceKey!);
    return HttpResponse.json(move ? { message: 'Successfully moved' } : { Key: `${destinationBucket ?? bucketId}/${destinationKey}` });
  }

  private token(payload: object): string {
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${body}.${createHmac('sha256', this.signingSecret).update(body).digest('base64url')}`;
  }

  private readToken(token: string | null): Record<string, unknown> | 'bad' | 'expired' {
    const [body, sig] = (token ?? '').split('.');
    if (!body || sig !== createHmac('sha256', this.signingSecret).update(body).digest('base64url')) return 'bad';
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString()) as Record<string, unknown>;
    return (payload.exp as number) * 1000 < Date.now() ? 'expired' : payload;
  }

  private async sign(bucketName: string, path: string, req: Request, role: Role): Promise<Response> {
    const bucket = this.buckets.get(bucketName);
    if (!bucket) return this.error(ERRORS.noBucket);
    const { expiresIn } = (await req.json()) as { expiresIn: number };
    if (role !== 'service' || !bucket.files.has(path)) return this.error(ERRORS.notFound);
    const token = this.token({ url: `${bucketName}/${path}`, exp: Math.floor(Date.now() / 1000) + expiresIn });
    return HttpResponse.json({ signedURL: `/object/sign/${bucketName}/${encodePath(path)}?token=${token}` });
  }

  private async signedGet(bucketName: string, path: string, url: URL): Promise<Response> {
    const payload = this.readToken(url.searchParams.get('token'));
    if (payload === 'bad') return this.error(ERRORS.badToken);
    if (payload === 'expired') return this.error(ERRORS.expired);
    if (payload.url !== `${bucketName}/${path}`) return this.error(ERRORS.badToken);
    const file = this.buckets.get(bucketName)?.files.get(path);
    return file ? this.fileResponse(file, null) : this.error(ERRORS.notFound);
  }

  private async signUpload(bucketName: string, path: string, req: Request, role: Role): Promise<Response> {
    const bucket = this.buckets.get(bucketName);
    if (!bucket) return this.error(ERRORS.noBucket);
    if (role !== 'service') return this.error(ERRORS.rls);
    const upsert = req.headers.get('x-upsert') === 'true';
    if (!upsert && bucket.files.has(path)) return this.error(ERRORS.exists);
    const token = this.token({ url: `${bucketName}/${path}`, upsert, exp: Math.floor(Date.now() / 1000) + 2 * 3600 });
    return HttpResponse.json({ url: `/object/upload/sign/${bucketName}/${encodePath(path)}?token=${token}`, token });
  }

  private async signedUpload(bucketName: string, path: string, req: Request, url: URL): Promise<Response> {
    const payload = this.readToken(url.searchParams.get('token'));
    if (payload === 'bad') return this.error(ERRORS.badToken);
    if (payload === 'expired') return this.error(ERRORS.expired);
    if (payload.url !== `${bucketName}/${path}`) return this.error(ERRORS.badToken);
    const bucket = this.buckets.get(bucketName);
    if (!bucket) return this.error(ERRORS.noBucket);
    const body = Buffer.from(await req.arrayBuffer());
    if (bucket.fileSizeLimit !== null && body.length > bucket.fileSizeLimit) return this.error(ERRORS.tooLarge);
    if (!payload.upsert && bucket.files.has(path)) return this.error(ERRORS.exists);
    const { Key } = this.write(bucketName, path, body, req.headers.get('content-type'), req.headers.get('cache-control'));
    return HttpResponse.json({ Key });
  }

  private getBucket(name: string, role: Role): Response {
    const bucket = this.buckets.get(name);
    if (!bucket || role !== 'service') return this.error(ERRORS.noBucket);
    const at = '2026-01-01T00:00:00.000Z';
    return HttpResponse.json({
      id: name,
      name,
      owner: '',
      public: bucket.public,
      type: 'STANDARD',
      file_size_limit: bucket.fileSizeLimit,
      allowed_mime_types: null,
      created_at: at,
      updated_at: at,
    });
  }

  /** What is stored under a key, for assertions. */
  file(bucketName: string, path: string): StoredFile | undefined {
    return this.buckets.get(bucketName)?.files.get(path);
  }
}

type Role = 'service' | 'anon';

function decode(path: string): string {
  return path.split('/').map(decodeURIComponent).join('/');
}

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}
