// Reading a PUT upload URL of ours (filesystem store): every check that needs no body, so the local
// server can refuse a forged, expired or oversized upload before reading a byte of it.
import { z } from 'zod';
import { AppError, UnauthorizedError, ValidationError } from '../errors.js';
import { ProjectId, UploadId } from '../ids.js';
import { IMAGE_TYPES } from './sniff.js';
import { type UploadRef, uploadTokenValid } from './tokens.js';

const Query = z.object({
  projectId: ProjectId,
  expires: z.coerce.number().int().positive(),
  bytes: z.coerce.number().int().positive(),
  type: z.enum(IMAGE_TYPES),
  token: z.string().max(100),
});

/** The upload a URL grants, if it is genuine and unexpired; throws the 4xx to answer otherwise. */
export function grantedUpload(
  uploadIdRaw: unknown,
  query: unknown,
  headers: { 'content-type'?: string; 'content-length'?: string },
  signingKey: Buffer | null,
): UploadRef {
  const uploadId = UploadId.safeParse(uploadIdRaw);
  const q = Query.safeParse(query);
  if (!uploadId.success || !q.success) throw new ValidationError('Invalid upload URL; ask POST /api/uploads for a new one.');
  const ref = { projectId: q.data.projectId, uploadId: uploadId.data, expiresMs: q.data.expires, bytes: q.data.bytes, contentType: q.data.type };
  if (!uploadTokenValid(ref, q.data.token, signingKey)) {
    throw new UnauthorizedError('This upload URL is invalid or has expired; ask POST /api/uploads for a new one.');
  }
  const type = String(headers['content-type'] ?? '')
    .split(';')[0]!
    .trim()
    .toLowerCase();
  if (type !== ref.contentType)
    throw new AppError('unsupported_media_type', `This URL takes one ${ref.contentType} file; send it with that Content-Type.`, { status: 415 });
  const length = Number(headers['content-length'] ?? NaN);
  if (Number.isFinite(length) && length > ref.bytes) throw uploadTooLarge(ref.bytes);
  return ref;
}

export function uploadTooLarge(declared: number): AppError {
  return new AppError('upload_too_large', `This URL takes at most the ${declared} bytes declared when it was asked for.`, {
    status: 413,
    details: { maxBytes: declared },
  });
}
