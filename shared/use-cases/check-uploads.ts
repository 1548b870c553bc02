// Uploaded inputs a request refers to: checked before a job is created, so a missing or oversized
// upload is a clear 4xx now, never a job that fails (or hangs) later.
import { AppError } from '../errors.js';
import { keys } from '../store/keys.js';
import type { AppContext } from './context.js';

export async function checkUploads(ctx: AppContext, projectId: string, uploadIds: string[]): Promise<void> {
  const stats = await Promise.all(uploadIds.map(async (id) => ({ id, stat: await ctx.store.stat(keys.upload(projectId, id)) })));
  const missing = stats.filter((s) => s.stat === null).map((s) => s.id);
  if (missing.length > 0) {
    throw new AppError('upload_missing', `Upload${missing.length > 1 ? 's' : ''} ${missing.join(', ')} not found in project ${projectId}: PUT the file to the URL POST /api/uploads gave you first.`, {
      status: 400,
      details: { missing },
    });
  }
  const max = ctx.config.uploads.maxBytes;
  const tooLarge = stats.filter((s) => s.stat!.bytes > max).map((s) => ({ uploadId: s.id, bytes: s.stat!.bytes }));
  if (tooLarge.length > 0) {
    throw new AppError('upload_too_large', `Reference images may be at most ${max} bytes each.`, { status: 413, details: { tooLarge, maxBytes: max } });
  }
  const empty = stats.filter((s) => s.stat!.bytes === 0).map((s) => s.id);
  if (empty.length > 0) throw new AppError('upload_empty', `Upload ${empty.join(', ')} is empty.`, { status: 400, details: { empty } });
}
