// GET /api/jobs/:jobId/image?projectId=[&variant=preview] — the job's image (or its latest partial
// preview). Stores that sign URLs (Supabase) answer with a redirect to a fresh signed URL; the
// filesystem store serves the bytes here.
import { z } from 'zod';
import { jobImage } from '../../../shared/use-cases/job-image.js';
import { callerOf } from '../../_lib/auth.js';
import { jobRefOf, parseWith } from '../../_lib/input.js';
import { route } from '../../_lib/route.js';

const Variant = z.object({ variant: z.enum(['image', 'preview']).default('image') });

export default route('/api/jobs/[jobId]/image', {
  async GET(req, res, ctx, params) {
    const { variant } = parseWith(Variant, { variant: req.query.variant }, 'query');
    const ref = jobRefOf(req, params);
    const image = await jobImage(ctx, await callerOf(req, ctx), ref, variant);
    if ('redirect' in image) {
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('Location', image.redirect);
      res.status(302).end();
      return;
    }
    const { object } = image;
    res.setHeader('Content-Type', object.contentType);
    res.setHeader('ETag', object.etag);
    // A completed job's image never changes; a preview does while the job renders.
    res.setHeader('Cache-Control', variant === 'image' ? 'private, max-age=31536000, immutable' : 'no-cache');
    if (req.headers['if-none-match'] === object.etag) {
      res.status(304).end();
      return;
    }
    res.status(200).send(object.body);
  },
});
