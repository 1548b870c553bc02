// PUT /api/uploads/:uploadId?projectId=&expires=&bytes=&type=&token= — the filesystem store's upload
// route (with Supabase, clients upload to storage directly). One file per URL, no larger than
// declared, of the declared image type.
import { AppError, NotFoundError, StoreConflictError } from '../../shared/errors.js';
import { keys } from '../../shared/store/keys.js';
import { sniffImageType } from '../../shared/uploads/sniff.js';
import { grantedUpload, uploadTooLarge } from '../../shared/uploads/upload-url.js';
import { route } from '../_lib/route.js';
import type { ApiRequest } from '../_lib/types.js';

export default route('/api/uploads/[uploadId]', {
  async PUT(req, res, ctx, params) {
    if (ctx.store.signedUpload) throw new NotFoundError('upload route: this store takes uploads directly');
    const {
      projectId,
      uploadId,
      bytes: declared,
      contentType,
    } = grantedUpload(params.uploadId, req.query, req.headers as never, ctx.config.uploads.signingKey);
    const bytes = rawBody(req);
    if (bytes.length === 0) throw new AppError('upload_empty', 'The upload is empty.', { status: 400 });
    if (bytes.length > declared) throw uploadTooLarge(declared);
    if (sniffImageType(bytes) !== contentType)
      throw new AppError('unsupported_media_type', `The file is not the ${contentType} image this URL was asked for.`, { status: 415 });
    try {
      await ctx.store.put(keys.upload(projectId, uploadId), bytes, { createOnly: true, contentType });
    } catch (err) {
      if (err instanceof StoreConflictError) throw new AppError('upload_exists', 'This upload URL was already used.', { status: 409 });
      throw err;
    }
    res.status(201).json({ uploadId, bytes: bytes.length, contentType });
  },
});

/** The bytes as sent. The platform parses JSON and text bodies lazily (and throws on bad JSON). */
function rawBody(req: ApiRequest): Buffer {
  let body: unknown;
  try {
    body = req.body;
  } catch {
    throw new AppError('unsupported_media_type', 'Upload a PNG, JPEG or WebP image.', { status: 415 });
  }
  if (Buffer.isBuffer(body)) return body;
  if (typeof body === 'string') return Buffer.from(body);
  if (body === undefined || body === null) return Buffer.alloc(0);
  throw new AppError('unsupported_media_type', 'Upload a PNG, JPEG or WebP image.', { status: 415 });
}
