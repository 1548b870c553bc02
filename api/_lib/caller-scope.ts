// Whose limits, quotas and uploads a request counts against, and who an anonymous caller is.
import { createHash } from 'node:crypto';
import { ownerScope } from '../../shared/queue/slots.js';
import type { Caller } from './auth.js';
import type { ApiRequest } from './types.js';

/**
 * Whose limits and quotas a request counts against: the user, the anonymous caller's address on a
 * public API, or null (a trusted server, local use): not limited.
 */
export function limitScopeOf(caller: Caller): string | null {
  if (caller.kind === 'user') return ownerScope(caller.ownerId);
  if (caller.kind === 'open' && caller.address !== null) return 'addr-' + createHash('sha256').update(caller.address).digest('hex').slice(0, 32);
  return null;
}

/** Whose uploads these are: a user's, one address's, or the trusted server's (or local use's). */
export function uploadScopeOf(caller: Caller): string {
  return limitScopeOf(caller) ?? (caller.kind === 'service' ? 'service' : 'local');
}

/** The peer, or the first X-Forwarded-For hop when a trusted proxy (Vercel's) sets it. */
export function clientAddress(req: ApiRequest, trustProxy: boolean): string {
  const forwarded = trustProxy ? String(req.headers['x-real-ip'] ?? req.headers['x-forwarded-for'] ?? '').split(',')[0]!.trim() : '';
  return forwarded || req.socket?.remoteAddress || 'unknown';
}
