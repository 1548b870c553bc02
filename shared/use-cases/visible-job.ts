// The job a caller names, as stored, if they may see it; 404 otherwise. Under another project the
// key does not exist, under another owner it is hidden: both answers reveal nothing.
import { assertCanSee, type Caller } from '../auth/caller.js';
import { NotFoundError } from '../errors.js';
import type { JobDocument } from '../job/document.js';
import { parseJob } from '../job/job-docs.js';
import { keys } from '../store/keys.js';
import type { StoredObject } from '../store/object-store.js';
import type { AppContext } from './context.js';

export interface JobRef {
  projectId: string;
  jobId: string;
}

export async function visibleJob(ctx: AppContext, caller: Caller, ref: JobRef): Promise<{ object: StoredObject; job: JobDocument }> {
  const key = keys.job(ref.projectId, ref.jobId);
  const object = await ctx.store.get(key);
  if (!object) throw new NotFoundError();
  const job = parseJob(key, object.body);
  assertCanSee(caller, job);
  return { object, job };
}
