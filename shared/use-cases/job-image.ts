// The image of a job the caller may see (or its latest partial preview): a signed URL where the
// store signs them (the bytes never pass through a function), else the bytes themselves.
import type { Caller } from '../auth/caller.js';
import { AppError, NotFoundError } from '../errors.js';
import type { StoredObject } from '../store/object-store.js';
import type { AppContext } from './context.js';
import { type JobRef, visibleJob } from './visible-job.js';

export type ImageVariant = 'image' | 'preview';

export async function jobImage(ctx: AppContext, caller: Caller, ref: JobRef, variant: ImageVariant): Promise<{ redirect: string } | { object: StoredObject }> {
  const { job } = await visibleJob(ctx, caller, ref);
  let key: string;
  if (variant === 'preview') {
    if (!job.previewKey) throw new AppError('not_ready', 'This job has no preview (yet).', { status: 409 });
    key = job.previewKey;
  } else {
    if (job.status !== 'completed' || !job.result) {
      throw new AppError('not_ready', `The job is ${job.status}; its image exists once it is completed.`, { status: 409 });
    }
    key = job.result.key;
  }
  if (ctx.store.signedUrl) return { redirect: await ctx.store.signedUrl(key, ctx.config.signedUrlTtlS) };
  const object = await ctx.store.get(key);
  if (!object) throw new NotFoundError('image');
  return { object };
}
