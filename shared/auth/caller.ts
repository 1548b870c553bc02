// Who is calling, and what they may see. With neither API_KEY nor Supabase Auth configured the API
// is open (local use). Otherwise every job route needs `Authorization: Bearer …`: the API key (a
// trusted server, which sees every job) or a Supabase access token (a user, who sees only their own).
import { createHash } from 'node:crypto';
import type { AuthConfig } from '../config.js';
import { NotFoundError, UnauthorizedError } from '../errors.js';
import type { JobDocument } from '../job/document.js';
import { secretMatches } from '../secrets.js';
import { ownerScope } from '../queue/slots.js';
import { verifyAccessToken } from './access-token.js';

/** `open`: no caller auth configured (local use, or a public deployment: `address` set, for limits). */
export type Caller = { kind: 'open'; address: string | null } | { kind: 'service' } | { kind: 'user'; ownerId: string };

/** The caller an `Authorization` header names; UnauthorizedError when auth is on and it names no one. */
export async function callerFrom(authorization: string | undefined, auth: AuthConfig, address: string | null = null): Promise<Caller> {
  const { apiKey, jwt } = auth;
  if (!apiKey && !jwt) return { kind: 'open', address };
  const token = /^Bearer ([^\s]+)$/i.exec(String(authorization ?? ''))?.[1];
  if (!token) throw new UnauthorizedError('Send Authorization: Bearer <API key or Supabase access token>.');
  if (apiKey && secretMatches(token, apiKey)) return { kind: 'service' };
  // A JWT has three dot-separated parts; anything else was meant as the API key.
  if (jwt && token.split('.').length === 3) return { kind: 'user', ownerId: await verifyAccessToken(token, jwt) };
  throw new UnauthorizedError();
}

/** The owner new jobs get: the signed-in user, or none. */
export function ownerOf(caller: Caller): string | null {
  return caller.kind === 'user' ? caller.ownerId : null;
}

export function canSee(caller: Caller, job: Pick<JobDocument, 'ownerId'>): boolean {
  return caller.kind !== 'user' || job.ownerId === caller.ownerId;
}

/** Another user's job is answered exactly like a job that does not exist. */
export function assertCanSee(caller: Caller, job: Pick<JobDocument, 'ownerId'>): void {
  if (!canSee(caller, job)) throw new NotFoundError();
}

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
