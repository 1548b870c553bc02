// The one storage boundary. Everything above it (queue, leases, cancel, results) is written once
// against this interface; each backend is one file (`fs-store.ts`, …) passing `test/store/conformance.ts`.

export interface StoredObject {
  body: Buffer;
  /** Changes whenever the content changes; quoted, as in an HTTP `ETag` header. */
  etag: string;
  contentType: string;
}

export interface PutOptions {
  /**
   * Write only if no object has this key; otherwise throw `StoreConflictError` and change nothing.
   * This is what makes a lease claim exclusive.
   */
  createOnly?: boolean;
  contentType?: string;
}

export interface ListEntry {
  /** The object's name inside the listed folder (no slashes). */
  name: string;
  /** The full key: `prefix + name`. */
  key: string;
}

export interface ListPage {
  /**
   * Objects directly inside the folder (not in sub-folders), in ascending byte order of their names
   * (`B` before `a`), matching case exactly: `x/Demo/` never lists `x/demo/`'s objects.
   */
  items: ListEntry[];
  /** Pass back to get the next page; null on the last page. */
  cursor: string | null;
}

export interface ListOptions {
  /** Page size; backends cap it (the fs store and Supabase at 1,000). Default 100. */
  limit?: number;
  cursor?: string | null;
  /**
   * List only names after this one (name order), without paging up to it: how a scan reads just
   * the part of a long folder it needs (the queue markers that became due since its last look).
   * Ignored when `cursor` is set.
   */
  startAfter?: string;
}

/** Where and how a client uploads one object straight to the store. */
export interface SignedUpload {
  url: string;
  method: 'PUT' | 'POST';
  headers: Record<string, string>;
}

export interface ObjectStore {
  readonly kind: string;
  readonly capabilities: {
    /**
     * True when concurrent create-only puts of one key are guaranteed to let exactly one through.
     * When false, a claimer must read its own token back after the write settled (DESIGN.md).
     */
    atomicCreate: boolean;
  };
  /** Size and type of an object without reading it, or null if there is none. */
  stat(key: string): Promise<{ bytes: number; contentType: string } | null>;
  /** The object, or null if there is none. Never returns a partly written object. */
  get(key: string): Promise<StoredObject | null>;
  /** Atomic: readers see the old object or the whole new one, never a mix. */
  put(key: string, body: Buffer | string, opts?: PutOptions): Promise<void>;
  /** `prefix` is a folder and ends with `/`. A missing folder lists as empty. */
  list(prefix: string, opts?: ListOptions): Promise<ListPage>;
  /** The sub-folders directly inside a folder, paged like `list` (`name` is the folder's name). */
  listFolders(prefix: string, opts?: ListOptions): Promise<ListPage>;
  /** Deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
  /**
   * Deletes every key given, missing ones included, in as few requests as the store allows (one
   * per bucket and thousand keys on Supabase): how history is tidied without a request per object.
   */
  deleteMany(keys: string[]): Promise<void>;
  /**
   * Renames an object in one request: afterwards it is at `to` and no longer at `from`, and no
   * reader ever finds it at neither (on disk a crash can leave it at both). False, changing nothing,
   * when there is nothing at `from`; `StoreConflictError`, changing nothing, when `to` is taken.
   * Both keys live on the same side of the store (job objects, or assets). One mover per object:
   * concurrent moves of one object may land it at several names on disk.
   */
  move(from: string, to: string): Promise<boolean>;
  /** Stores that serve objects themselves: a URL that reads `key` for `expiresInS` seconds. */
  signedUrl?(key: string, expiresInS: number): Promise<string>;
  /** Stores that take uploads themselves: a one-time URL that creates `key`. */
  signedUpload?(key: string): Promise<SignedUpload>;
  /**
   * Stores that can tell when a job falls due (Postgres: LISTEN/NOTIFY) call `onDue` then — with
   * the job when it is a new one, so it can be claimed without a scan — and once on every
   * (re)connect. A shortcut only: a lost notification is never redelivered, so watchers keep polling.
   */
  watch?(onDue: (job?: { projectId: string; jobId: string }) => void, log: import('../logger.js').Logger): { stop(): Promise<void> };
  /**
   * Stores whose setup can be wrong in ways reads do not show (a misnamed Supabase bucket lists as
   * empty): throws `StoreMisconfiguredError` naming the problem. Checked once per store instance.
   */
  verify?(): Promise<void>;
}

/** Every object in a folder, page by page: no scan may assume one page holds everything. */
export function listAll(store: ObjectStore, prefix: string, pageSize = 500): AsyncGenerator<ListEntry> {
  return everyPage((opts) => store.list(prefix, opts), pageSize);
}

/** Every sub-folder of a folder, page by page. */
export function listAllFolders(store: ObjectStore, prefix: string, pageSize = 500): AsyncGenerator<ListEntry> {
  return everyPage((opts) => store.listFolders(prefix, opts), pageSize);
}

async function* everyPage(list: (opts: ListOptions) => Promise<ListPage>, pageSize: number): AsyncGenerator<ListEntry> {
  let cursor: string | null = null;
  do {
    const page: ListPage = await list({ limit: pageSize, cursor });
    yield* page.items;
    cursor = page.cursor;
  } while (cursor !== null);
}
