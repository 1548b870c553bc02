// What a Supabase Storage failure means for us. storage-api renders most errors as HTTP 400 with
// the real code in the body's `statusCode` string ("404", "409", "503"…); some routes send the
// real status. storage-js keeps both (`status`, `statusCode`): trust whichever is specific.
import { AppError, StoreAuthError, StoreConflictError, StoreRequestError, StoreUnavailableError } from '../errors.js';

interface StorageErrorLike {
  message: string;
  status?: number;
  statusCode?: string;
}

function codeOf(err: StorageErrorLike): number {
  const inBody = Number(err.statusCode);
  if (Number.isInteger(inBody) && inBody >= 100) return inBody;
  return err.status ?? 0;
}

/** The object is missing (not the bucket: a missing bucket is a setup error, never "no such job"). */
export function isNotFound(err: StorageErrorLike): boolean {
  return (codeOf(err) === 404 || err.status === 404) && !/bucket/i.test(err.message);
}

export function classifyStorageError(err: unknown, what: string): AppError {
  if (err instanceof AppError) return err;
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as StorageErrorLike & { name?: string };
  // No HTTP answer at all (connection refused or dropped, timeout): the request may be repeated.
  if (e.name === 'StorageUnknownError' || e.status === undefined) {
    return new StoreUnavailableError(`Supabase Storage could not ${what}: ${describeCause(err)}`, err);
  }
  const code = codeOf(e);
  const key = what.replace(/^\S+ /, '');
  if (code === 409) return new StoreConflictError(key);
  if (e.status === 401 || code === 401 || code === 403 || /invalid api key|jwt|signature verification/i.test(e.message)) {
    return new StoreAuthError(
      `Supabase Storage refused our credentials (${what}: ${e.message}). Check SUPABASE_SERVICE_ROLE_KEY: it must be the project's service_role key.`,
      err,
    );
  }
  if (code === 429 || code >= 500 || (e.status ?? 0) >= 500) {
    return new StoreUnavailableError(`Supabase Storage could not ${what}: ${e.message} (${code})`, err);
  }
  if (code === 404) return new StoreRequestError(`Supabase Storage could not ${what}: ${e.message}. Does the bucket exist?`, 500, err);
  if (code === 413) return new StoreRequestError(`Supabase Storage could not ${what}: ${e.message}`, 413, err);
  return new StoreRequestError(`Supabase Storage could not ${what}: ${e.message} (${code})`, 500, err);
}

function describeCause(err: unknown): string {
  const e = err as { message?: string; originalError?: { cause?: { code?: string; message?: string }; name?: string } };
  const cause = e.originalError?.cause;
  const detail = cause?.code ?? cause?.message ?? e.originalError?.name;
  return `${e.message ?? String(err)}${detail ? ` (${detail})` : ''}`;
}
