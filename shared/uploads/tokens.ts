// Upload URLs the API signs itself (filesystem store; Supabase signs its own): an HMAC over the
// project, the upload id, the expiry and the declared size and type, so a URL cannot be reused for
// another key, after it ends, or for a larger file or another type than was granted.
import { createHmac, randomBytes } from 'node:crypto';
import { secretMatches } from '../secrets.js';

// Without a configured key (local development) tokens are signed with a key of this process: the
// filesystem store has one API process, and a restart only voids uploads not yet sent.
const processKey = randomBytes(32);

export interface UploadRef {
  projectId: string;
  uploadId: string;
  expiresMs: number;
  bytes: number;
  contentType: string;
}

/** `key`: config.uploads.signingKey, its own key (never WORKER_SECRET itself), or null locally. */
export function uploadToken(ref: UploadRef, key: Buffer | null): string {
  const message = ['upload-v2', ref.projectId, ref.uploadId, ref.expiresMs, ref.bytes, ref.contentType].join('\n');
  return createHmac('sha256', key ?? processKey)
    .update(message)
    .digest('base64url');
}

export function uploadTokenValid(ref: UploadRef, token: string, key: Buffer | null, now = Date.now()): boolean {
  return ref.expiresMs > now && secretMatches(token, uploadToken(ref, key));
}
