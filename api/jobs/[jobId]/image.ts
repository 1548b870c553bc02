// GET /api/jobs/:jobId/image?projectId=[&variant=preview] — the job's image (or its latest partial
// preview). Stores that sign URLs (Supabase) answer with a redirect to a fresh signed URL, so the
// bytes never pass through a function; the filesystem store serves them here.
import { z } from 'zod';
import { AppError, NotFoundError } from '../../../shared/errors.js';
import { parseWith } from '../../_lib/input.js';
import { route } from '../../_lib/route.js';
import { visibleJob } from '../../_lib/auth.js';

const Variant = z.object({ variant: z.enum(['image', 'preview']).default('image') });

export default route('/api/jobs/[jobId]/image', {
  async GET(req, res, ctx, params) {
    const { variant } = parseWith(Variant, { variant: req.query.variant }, 'query');
    const { job } = await visibleJob(req, ctx, params);
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
    if (ctx.store.signedUrl) {
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('Location', await ctx.store.signedUrl(key, ctx.config.signedUrlTtlS));
      res.status(302).end();
      return;
    }
    const image = await ctx.store.get(key);
    if (!image) throw new NotFoundError('image');
    res.setHeader('Content-Type', image.contentType);
    res.setHeader('ETag', image.etag);
    // A completed job's image never changes; a preview does while the job renders.
    res.setHeader('Cache-Control', variant === 'image' ? 'private, max-age=31536000, immutable' : 'no-cache');
    if (req.headers['if-none-match'] === image.etag) {
      res.status(304).end();
      return;
    }
    res.status(200).send(image.body);
  },
});
