// Who is calling, and what they may see. With neither API_KEY nor Supabase Auth configured the API
// is open (local use). Otherwise every job route needs `Authorization: Bearer …`: the API key (a
// trusted server, which sees every job) or a Supabase access token (a user, who sees only their own).
import type { AuthConfig } from '../config.js';
import { NotFoundError, UnauthorizedError } from '../errors.js';
import type { JobDocument } from '../job/document.js';
import { secretMatches } from '../secrets.js';
import { verifyAccessToken } from './access-token.js';

export type Caller = { kind: 'open' } | { kind: 'service' } | { kind: 'user'; ownerId: string };

/** The caller an `Authorization` header names; UnauthorizedError when auth is on and it names no one. */
export async function callerFrom(authorization: string | undefined, auth: AuthConfig): Promise<Caller> {
  const { apiKey, jwt } = auth;
  if (!apiKey && !jwt) return { kind: 'open' };
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
