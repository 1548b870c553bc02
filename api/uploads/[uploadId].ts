// PUT /api/uploads/:uploadId?projectId=&expires=&token= — the filesystem store's upload route (with
// Supabase, clients upload to storage directly). One file per URL, size-capped, images only.
import { z } from 'zod';
import { AppError, NotFoundError, StoreConflictError, UnauthorizedError } from '../../shared/errors.js';
import { ProjectId, UploadId } from '../../shared/ids.js';
import { keys } from '../../shared/store/keys.js';
import { sniffImageType } from '../../shared/uploads/sniff.js';
import { uploadTokenValid } from '../../shared/uploads/tokens.js';
import { parseWith } from '../_lib/input.js';
import { route } from '../_lib/route.js';

const Query = z.object({ projectId: ProjectId, expires: z.coerce.number().int().positive(), token: z.string().max(100) });

export default route('/api/uploads/[uploadId]', {
  async PUT(req, res, ctx, params) {
    if (ctx.store.signedUpload) throw new NotFoundError('upload route: this store takes uploads directly');
    const uploadId = parseWith(UploadId, params.uploadId, 'upload id');
    const { projectId, expires, token } = parseWith(Query, req.query, 'query');
    if (!uploadTokenValid({ projectId, uploadId, expiresMs: expires }, token, ctx.config.workerSecret)) {
      throw new UnauthorizedError('This upload URL is invalid or has expired; ask POST /api/uploads for a new one.');
    }
    const body = req.body;
    const bytes = Buffer.isBuffer(body) ? body : typeof body === 'string' ? Buffer.from(body) : Buffer.alloc(0);
    if (bytes.length === 0) throw new AppError('upload_empty', 'The upload is empty.', { status: 400 });
    const type = sniffImageType(bytes);
    if (!type) throw new AppError('unsupported_media_type', 'Upload a PNG, JPEG or WebP image.', { status: 415 });
    try {
      await ctx.store.put(keys.upload(projectId, uploadId), bytes, { createOnly: true, contentType: type });
    } catch (err) {
      if (err instanceof StoreConflictError) throw new AppError('upload_exists', 'This upload URL was already used.', { status: 409 });
      throw err;
    }
    res.status(201).json({ uploadId, bytes: bytes.length, contentType: type });
  },
});
