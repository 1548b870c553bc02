// Upload URLs the API signs itself (filesystem store; Supabase signs its own): an HMAC over the
// project, the upload id and the expiry, so a URL cannot be reused for another key or after it ends.
import { createHmac, randomBytes } from 'node:crypto';
import { secretMatches } from '../secrets.js';

// Without WORKER_SECRET (local development) tokens are signed with a key of this process: the
// filesystem store has one API process, and a restart only voids uploads not yet sent.
const processKey = randomBytes(32).toString('hex');

export function uploadToken(ref: { projectId: string; uploadId: string; expiresMs: number }, secret: string | null): string {
  return createHmac('sha256', secret ?? processKey).update(`${ref.projectId}/${ref.uploadId}/${ref.expiresMs}`).digest('base64url');
}

export function uploadTokenValid(ref: { projectId: string; uploadId: string; expiresMs: number }, token: string, secret: string | null, now = Date.now()): boolean {
  return ref.expiresMs > now && secretMatches(token, uploadToken(ref, secret));
}
