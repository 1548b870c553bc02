// POST /api/uploads — where to upload large inputs (reference images), straight to storage: a
// signed Supabase upload URL, or this API's own upload route on the filesystem store. Nothing large
// ever passes through a function's 4.5 MB body limit.
import { z } from 'zod';
import { newUploadId, ProjectId } from '../../shared/ids.js';
import { MAX_REFERENCES } from '../../shared/job/request.js';
import { keys } from '../../shared/store/keys.js';
import { IMAGE_TYPES } from '../../shared/uploads/sniff.js';
import { uploadToken } from '../../shared/uploads/tokens.js';
import { jsonBody, parseWith } from '../_lib/input.js';
import { route } from '../_lib/route.js';
import { callerOf } from '../_lib/auth.js';

/** Signed Supabase upload URLs last two hours; ours match. */
const UPLOAD_URL_TTL_MS = 2 * 60 * 60 * 1000;

export default route('/api/uploads', {
  async POST(req, res, ctx) {
    await callerOf(req, ctx); // uploads cost storage: the same callers as creates
    const max = ctx.config.uploads.maxBytes;
    const Request = z.strictObject({
      projectId: ProjectId,
      files: z
        .array(z.strictObject({ contentType: z.enum(IMAGE_TYPES), bytes: z.number().int().min(1).max(max, `at most ${max} bytes per file`) }))
        .min(1)
        .max(MAX_REFERENCES),
    });
    const { projectId, files } = parseWith(Request, jsonBody(req, ctx.config.maxBodyBytes), 'upload request');
    const expiresMs = Date.now() + UPLOAD_URL_TTL_MS;
    const uploads = await Promise.all(
      files.map(async (file) => {
        const uploadId = newUploadId();
        if (ctx.store.signedUpload) {
          const signed = await ctx.store.signedUpload(keys.upload(projectId, uploadId));
          return { uploadId, url: signed.url, method: signed.method, headers: { ...signed.headers, 'content-type': file.contentType } };
        }
        const token = uploadToken({ projectId, uploadId, expiresMs }, ctx.config.workerSecret);
        const q = new URLSearchParams({ projectId, expires: String(expiresMs), token });
        return { uploadId, url: `/api/uploads/${uploadId}?${q}`, method: 'PUT', headers: { 'content-type': file.contentType } };
      }),
    );
    res.setHeader('Cache-Control', 'no-store');
    res.status(201).json({ uploads, maxBytes: max, expiresAt: new Date(expiresMs).toISOString() });
  },
});
