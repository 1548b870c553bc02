// A project's jobs, newest first, paged. The store's cursor (a file name on disk, a key in a bucket)
// is handed to callers sealed in an encrypted token, so paging works the same on every store and
// callers never depend on, learn from, or forge it.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { type Caller, canSee } from '../auth/caller.js';
import { CorruptDocumentError, ValidationError } from '../errors.js';
import type { JobDocument } from '../job/document.js';
import { readJob } from '../job/job-docs.js';
import { idOfSegment, keys } from '../store/keys.js';
import { ownerScope } from '../queue/slots.js';
import type { AppContext } from './context.js';

export interface JobList {
  jobs: JobDocument[];
  /** Pass back as `cursor` for the next page; null on the last one. */
  next: string | null;
  /** Jobs whose documents cannot be read: named, never shown as valid. */
  unreadable?: string[];
}

const Sealed = z.object({ v: z.literal(1), p: z.string(), c: z.string().min(1).max(1000) });

/**
 * Cursors are encrypted (AES-256-GCM) so that callers learn nothing from them — the store's
 * cursor names the last job listed, which may be another user's — and cannot forge one. The key is
 * derived from the deployment's signing secret; a local process without one uses its own.
 */
function cursorKey(signingKey: Buffer | null): Buffer {
  return Buffer.from(hkdfSync('sha256', signingKey ?? LOCAL_KEY, 'render-jobs', 'list-cursor-v1', 32));
}
const LOCAL_KEY = randomBytes(32);

export function sealCursor(storeCursor: string | null, projectId: string, signingKey: Buffer | null): string | null {
  if (storeCursor === null) return null;
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', cursorKey(signingKey), iv);
  const body = Buffer.concat([cipher.update(JSON.stringify({ v: 1, p: projectId, c: storeCursor })), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

export function openCursor(token: string, projectId: string, signingKey: Buffer | null): string {
  let parsed: unknown = null;
  try {
    const raw = Buffer.from(token, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', cursorKey(signingKey), raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    parsed = JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8'));
  } catch {
    // falls through to the error below
  }
  const checked = Sealed.safeParse(parsed);
  if (!checked.success || checked.data.p !== projectId) throw new ValidationError('Invalid cursor: pass back the `next` of the previous page unchanged.');
  return checked.data.c;
}

export async function listJobs(ctx: AppContext, caller: Caller, q: { projectId: string; limit: number; cursor?: string | null }): Promise<JobList> {
  const key = ctx.config.uploads.signingKey;
  const cursor = q.cursor ? openCursor(q.cursor, q.projectId, key) : null;
  // Job ids begin with inverted creation time, so name order is newest first. A signed-in user
  // lists their own index: only their jobs are read, and a page is full when they have enough.
  const folder = caller.kind === 'user' ? keys.ownerJobsOf(ownerScope(caller.ownerId), q.projectId) : keys.jobsOf(q.projectId);
  const page = await ctx.store.list(folder, { limit: q.limit, cursor });
  const unreadable: string[] = [];
  const jobs = await Promise.all(
    page.items.map(async (item) => {
      const jobId = idOfSegment(item.name.replace(/\.json$/, ''));
      if (jobId === null) return null;
      try {
        return await readJob(ctx.store, q.projectId, jobId); // null: an index entry whose create died
      } catch (err) {
        // One damaged document must not hide the rest: it is named, and logged, never shown as valid.
        if (!(err instanceof CorruptDocumentError)) throw err;
        ctx.log.error({ err, jobId }, 'unreadable job document');
        unreadable.push(jobId);
        return null;
      }
    }),
  );
  // A user sees their own jobs only: a page may hold fewer than `limit`; `next` goes on from it.
  const visible = jobs.filter((j): j is JobDocument => j !== null && canSee(caller, j));
  return { jobs: visible, next: sealCursor(page.cursor, q.projectId, key), ...(unreadable.length ? { unreadable } : {}) };
}
