// POST /api/uploads — where to upload large inputs (reference images), straight to storage: a
// signed Supabase upload URL, or this API's own upload route on the filesystem store. Nothing large
// ever passes through a function's 4.5 MB body limit. Each URL is granted to its caller, for the
// declared size and type, and counts against the caller's rate and quota (shared/uploads/grants.ts).
import { z } from 'zod';
import { newUploadId, ProjectId } from '../../shared/ids.js';
import { MAX_REFERENCES } from '../../shared/job/request.js';
import { keys } from '../../shared/store/keys.js';
import { IMAGE_TYPES } from '../../shared/uploads/sniff.js';
import { grantUploads, UPLOAD_URL_TTL_MS } from '../../shared/uploads/grants.js';
import { uploadToken } from '../../shared/uploads/tokens.js';
import { takeTickets } from '../../shared/auth/create-rate.js';
import { jsonBody, parseWith } from '../_lib/input.js';
import { route } from '../_lib/route.js';
import { callerOf } from '../_lib/auth.js';
import { limitScopeOf, uploadScopeOf } from '../_lib/caller-scope.js';

export default route('/api/uploads', {
  async POST(req, res, ctx) {
    const caller = await callerOf(req, ctx); // uploads cost storage: the same callers as creates
    const { maxBytes: max, ratePerMinute, quotaBytes, signingKey } = ctx.config.uploads;
    const Request = z.strictObject({
      projectId: ProjectId,
      files: z
        .array(z.strictObject({ contentType: z.enum(IMAGE_TYPES), bytes: z.number().int().min(1).max(max, `at most ${max} bytes per file`) }))
        .min(1)
        .max(MAX_REFERENCES),
    });
    const { projectId, files } = parseWith(Request, jsonBody(req, ctx.config.maxBodyBytes), 'upload request');
    const now = ctx.queue.now();
    const limitScope = limitScopeOf(caller);
    if (limitScope !== null) await takeTickets(ctx.store, `uploads-${limitScope}`, ratePerMinute, now, { count: files.length, what: 'upload URLs' });
    const grants = files.map((f) => ({ uploadId: newUploadId(now), bytes: f.bytes, contentType: f.contentType }));
    await grantUploads(ctx.store, projectId, uploadScopeOf(caller), grants, quotaBytes);
    const expiresMs = now + UPLOAD_URL_TTL_MS;
    const uploads = await Promise.all(
      grants.map(async ({ uploadId, bytes, contentType }) => {
        if (ctx.store.signedUpload) {
          const signed = await ctx.store.signedUpload(keys.upload(projectId, uploadId));
          return { uploadId, url: signed.url, method: signed.method, headers: { ...signed.headers, 'content-type': contentType } };
        }
        const token = uploadToken({ projectId, uploadId, expiresMs, bytes, contentType }, signingKey);
        const q = new URLSearchParams({ projectId, expires: String(expiresMs), bytes: String(bytes), type: contentType, token });
        return { uploadId, url: `/api/uploads/${uploadId}?${q}`, method: 'PUT', headers: { 'content-type': contentType } };
      }),
    );
    res.setHeader('Cache-Control', 'no-store');
    res.status(201).json({ uploads, maxBytes: max, expiresAt: new Date(expiresMs).toISOString() });
  },
});
