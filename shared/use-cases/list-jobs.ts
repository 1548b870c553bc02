// A project's jobs, newest first, paged. The store's cursor (a file name on disk, an offset in a
// bucket) is handed to callers sealed in an opaque token, so paging works the same on every store
// and callers never depend on, or learn from, its shape.
import { z } from 'zod';
import { type Caller, canSee } from '../auth/caller.js';
import { CorruptDocumentError, ValidationError } from '../errors.js';
import type { JobDocument } from '../job/document.js';
import { readJob } from '../job/job-docs.js';
import { idOfSegment, keys } from '../store/keys.js';
import type { AppContext } from './context.js';

export interface JobList {
  jobs: JobDocument[];
  /** Pass back as `cursor` for the next page; null on the last one. */
  next: string | null;
  /** Jobs whose documents cannot be read: named, never shown as valid. */
  unreadable?: string[];
}

const Sealed = z.object({ v: z.literal(1), c: z.string().min(1).max(1000) });

export function sealCursor(storeCursor: string | null): string | null {
  return storeCursor === null ? null : Buffer.from(JSON.stringify({ v: 1, c: storeCursor })).toString('base64url');
}

export function openCursor(token: string): string {
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    // falls through to the error below
  }
  const checked = Sealed.safeParse(parsed);
  if (!checked.success) throw new ValidationError('Invalid cursor: pass back the `next` of the previous page unchanged.');
  return checked.data.c;
}

export async function listJobs(ctx: AppContext, caller: Caller, q: { projectId: string; limit: number; cursor?: string | null }): Promise<JobList> {
  const cursor = q.cursor ? openCursor(q.cursor) : null;
  // Job ids begin with inverted creation time, so name order is newest first.
  const page = await ctx.store.list(keys.jobsOf(q.projectId), { limit: q.limit, cursor });
  const unreadable: string[] = [];
  const jobs = await Promise.all(
    page.items.map(async (item) => {
      const jobId = idOfSegment(item.name.slice(0, -'.json'.length));
      if (jobId === null) return null;
      try {
        return await readJob(ctx.store, q.projectId, jobId);
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
  return { jobs: visible, next: sealCursor(page.cursor), ...(unreadable.length ? { unreadable } : {}) };
}
