// Uploaded inputs a request refers to: checked before a job is created, so a missing, foreign or
// oversized upload is a clear 4xx now, never a job that fails (or hangs) later. An upload is usable
// only by the caller it was granted to, at the size and type declared when its URL was asked for.
import { AppError } from '../errors.js';
import { keys } from '../store/keys.js';
import { grantsOf } from '../uploads/grants.js';
import { type Caller, uploadScopeOf } from '../auth/caller.js';
import type { AppContext } from './context.js';

export async function checkUploads(ctx: AppContext, caller: Caller, projectId: string, uploadIds: string[]): Promise<void> {
  const grants = new Map((await grantsOf(ctx.store, projectId, uploadScopeOf(caller))).map((g) => [g.uploadId, g]));
  const stats = await Promise.all(
    uploadIds.map(async (id) => ({ id, grant: grants.get(id), stat: grants.has(id) ? await ctx.store.stat(keys.upload(projectId, id)) : null })),
  );
  // Another caller's upload is answered exactly like one that does not exist.
  const missing = stats.filter((s) => s.stat === null).map((s) => s.id);
  if (missing.length > 0) {
    throw new AppError(
      'upload_missing',
      `Upload${missing.length > 1 ? 's' : ''} ${missing.join(', ')} not found in project ${projectId}: PUT the file to the URL POST /api/uploads gave you first.`,
      {
        status: 400,
        details: { missing },
      },
    );
  }
  const max = ctx.config.uploads.maxBytes;
  const tooLarge = stats
    .filter((s) => s.stat!.bytes > Math.min(max, s.grant!.bytes))
    .map((s) => ({ uploadId: s.id, bytes: s.stat!.bytes, declared: s.grant!.bytes }));
  if (tooLarge.length > 0) {
    throw new AppError('upload_too_large', `Each reference image may be at most its declared size (and ${max} bytes).`, {
      status: 413,
      details: { tooLarge, maxBytes: max },
    });
  }
  // Direct uploads (Supabase) keep the type the client sent; our own route stored only the declared type.
  const typeOf = (s: (typeof stats)[number]) => s.stat!.contentType.split(';')[0]!.trim().toLowerCase();
  const wrongType = ctx.store.signedUpload ? stats.filter((s) => typeOf(s) !== s.grant!.contentType).map((s) => s.id) : [];
  if (wrongType.length > 0)
    throw new AppError('upload_wrong_type', `Upload ${wrongType.join(', ')} is not of the type declared for it.`, { status: 415, details: { wrongType } });
  const empty = stats.filter((s) => s.stat!.bytes === 0).map((s) => s.id);
  if (empty.length > 0) throw new AppError('upload_empty', `Upload ${empty.join(', ')} is empty.`, { status: 400, details: { empty } });
}
