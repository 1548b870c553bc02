// The filesystem backend: objects are files under one root (`JOBS_DIR`, default `.jobs/`).
import { createHash, randomBytes } from 'node:crypto';
import * as cb from 'node:fs';
import { constants as fsConstants } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { InvalidKeyError, StoreConflictError, StoreUnavailableError } from '../errors.js';
import { assertValidKey, assertValidPrefix } from './keys.js';
import type { ListOptions, ListPage, ObjectStore, PutOptions, StoredObject } from './object-store.js';

const MAX_PAGE = 1000;
const CONTENT_TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
};

/**
 * The calls of a write (and a delete), through the callback API, not fs/promises: a FileHandle and a
 * promise per call cost ~70–80 µs more CPU for each small write (measured, 50 writes in flight to
 * tmpfs: 160–250 µs a put against 60–110), and a worker writes one for every job's image.
 */
const files = {
  open: promisify(cb.open),
  write: promisify(cb.write),
  fsync: promisify(cb.fsync),
  close: promisify(cb.close),
  rename: promisify(cb.rename),
  link: promisify(cb.link),
  unlink: promisify(cb.unlink),
};

async function writeAll(fd: number, bytes: Buffer): Promise<void> {
  for (let at = 0; at < bytes.length; ) at += (await files.write(fd, bytes, at, bytes.length - at)).bytesWritten;
}

export class FsObjectStore implements ObjectStore {
  readonly kind = 'fs';
  // link(2) fails with EEXIST when the name is taken: exactly one concurrent creator wins.
  readonly capabilities = { atomicCreate: true };
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /** The file behind a key; checked twice (grammar, then resolved path) so no key leaves the root. */
  pathOf(key: string): string {
    assertValidKey(key);
    const resolved = path.resolve(this.root, ...key.split('/'));
    if (!resolved.startsWith(this.root + path.sep)) throw new InvalidKeyError(key);
    return resolved;
  }

  async get(key: string): Promise<StoredObject | null> {
    const file = this.pathOf(key);
    let body: Buffer;
    try {
      // The store never makes links: one found here was put by someone else, and following it
      // could serve any file the process can read. Not followed, it is not an object (ELOOP).
      body = await fs.readFile(file, { flag: fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW });
    } catch (err) {
      if (isCode(err, 'ENOENT') || isCode(err, 'EISDIR') || isCode(err, 'ELOOP')) return null;
      throw unavailable('read', key, err);
    }
    return {
      body,
      etag: `"${createHash('sha1').update(body).digest('base64url')}"`,
      contentType: CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
    };
  }

  async stat(key: string): Promise<{ bytes: number; contentType: string } | null> {
    const file = this.pathOf(key);
    try {
      const st = await fs.lstat(file); // a link is not an object (see get)
      if (!st.isFile()) return null;
      return { bytes: st.size, contentType: CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream' };
    } catch (err) {
      if (isCode(err, 'ENOENT') || isCode(err, 'ENOTDIR')) return null;
      throw unavailable('stat', key, err);
    }
  }

  async put(key: string, body: Buffer | string, opts: PutOptions = {}): Promise<void> {
    const file = this.pathOf(key);
    const dir = path.dirname(file);
    // Hidden temp name in the same folder: rename/link stay on one filesystem, listings skip it.
    const temp = path.join(dir, `.tmp-${randomBytes(8).toString('hex')}`);
    try {
      const fd = await withFolder(dir, () => files.open(temp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o644));
      try {
        await writeAll(fd, typeof body === 'string' ? Buffer.from(body) : body);
        await files.fsync(fd); // the bytes are on disk before the name points at them
      } finally {
        await files.close(fd);
      }
      if (opts.createOnly) {
        // Not open(O_EXCL) on the final name: that would show readers an empty file until the write
        // lands. link() publishes the complete temp file under the final name, or fails with EEXIST.
        try {
          await files.link(temp, file);
        } catch (err) {
          if (isCode(err, 'EEXIST')) throw new StoreConflictError(key);
          throw err;
        }
        await files.unlink(temp);
      } else {
        await files.rename(temp, file); // atomic replace: readers see the old file or the new one
      }
    } catch (err) {
      await fs.rm(temp, { force: true }).catch(() => undefined);
      if (err instanceof StoreConflictError) throw err;
      throw unavailable('write', key, err);
    }
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListPage> {
    return this.listEntries(prefix, opts, (e) => e.isFile());
  }

  async listFolders(prefix: string, opts: ListOptions = {}): Promise<ListPage> {
    return this.listEntries(prefix, opts, (e) => e.isDirectory());
  }

  private async listEntries(prefix: string, opts: ListOptions, keep: (e: import('node:fs').Dirent) => boolean): Promise<ListPage> {
    assertValidPrefix(prefix);
    const dir = this.pathOf(prefix.slice(0, -1));
    const limit = Math.min(Math.max(1, opts.limit ?? 100), MAX_PAGE);
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (isCode(err, 'ENOENT') || isCode(err, 'ENOTDIR')) return { items: [], cursor: null };
      throw unavailable('list', prefix, err);
    }
    const after = opts.cursor ?? opts.startAfter ?? '';
    const names = entries
      .filter((e) => keep(e) && !e.name.startsWith('.') && e.name > after)
      .map((e) => e.name)
      .sort();
    const page = names.slice(0, limit);
    return {
      items: page.map((name) => ({ name, key: prefix + name })),
      cursor: names.length > limit ? page[page.length - 1]! : null,
    };
  }

  async delete(key: string): Promise<void> {
    const file = this.pathOf(key);
    try {
      await files.unlink(file);
    } catch (err) {
      if (isCode(err, 'ENOENT')) return;
      throw unavailable('delete', key, err);
    }
  }

  async deleteMany(keys: string[]): Promise<void> {
    await Promise.all(keys.map((key) => this.delete(key)));
  }

  async move(from: string, to: string): Promise<boolean> {
    const source = this.pathOf(from);
    const target = this.pathOf(to);
    try {
      // link(), not rename(): rename replaces a taken name silently, link fails with EEXIST. Between
      // the two steps the object is at both names, never at neither. ENOENT after the folder is
      // made: the source is gone.
      await withFolder(path.dirname(target), () => files.link(source, target));
    } catch (err) {
      if (isCode(err, 'EEXIST')) throw new StoreConflictError(to);
      if (isCode(err, 'ENOENT')) return false;
      throw unavailable('move', from, err);
    }
    await this.delete(from);
    return true;
  }
}

/**
 * Runs `op`, which creates a name in `dir`; if the folder is missing (ENOENT), makes it and runs
 * `op` once more. Not mkdir first: the folder nearly always exists, and each fs call is a hop to
 * the thread pool (a no-op job wrote its image with six; measured on the worker's CPU).
 */
async function withFolder<T>(dir: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (!isCode(err, 'ENOENT')) throw err;
  }
  await fs.mkdir(dir, { recursive: true });
  return op();
}

function isCode(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

function unavailable(op: string, key: string, err: unknown): StoreUnavailableError {
  const code = typeof err === 'object' && err !== null ? (err as { code?: string }).code : undefined;
  return new StoreUnavailableError(`fs store could not ${op} ${key}${code ? ` (${code})` : ''}`, err);
}
