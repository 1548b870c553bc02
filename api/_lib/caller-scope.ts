// Who an anonymous caller is, on a public API: their address (limits are kept per address).
import type { ApiRequest } from './types.js';

export { limitScopeOf, uploadScopeOf } from '../../shared/auth/caller.js';

/** The peer, or the first X-Forwarded-For hop when a trusted proxy (Vercel's) sets it. */
export function clientAddress(req: ApiRequest, trustProxy: boolean): string {
  const forwarded = trustProxy
    ? String(req.headers['x-real-ip'] ?? req.headers['x-forwarded-for'] ?? '')
        .split(',')[0]!
        .trim()
    : '';
  return forwarded || req.socket?.remoteAddress || 'unknown';
}
