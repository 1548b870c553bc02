// Who is calling. With neither API_KEY nor Supabase Auth configured, the API is open: local use, or
// a deployment the operator declared public (PUBLIC_API=true), whose callers are limited per address.
// Otherwise every job route needs `Authorization: Bearer …`: the API key (a trusted server, which
// sees every job) or a Supabase access token (a user, who sees only the jobs they own).
import { verifyAccessToken } from '../../shared/auth/access-token.js';
import { NotFoundError, UnauthorizedError } from '../../shared/errors.js';
import type { JobDocument } from '../../shared/job/document.js';
import { parseJob } from '../../shared/queue/job-docs.js';
import { keys } from '../../shared/store/keys.js';
import type { StoredObject } from '../../shared/store/object-store.js';
import { jobRefOf } from './input.js';
import { secretMatches } from '../../shared/secrets.js';
import { clientAddress } from './caller-scope.js';
import type { AppContext } from './context.js';
import type { ApiRequest } from './types.js';

export type Caller = { kind: 'open'; address: string | null } | { kind: 'service' } | { kind: 'user'; ownerId: string };

export async function callerOf(req: ApiRequest, ctx: AppContext): Promise<Caller> {
  const { apiKey, jwt, publicApi, trustProxy } = ctx.config.auth;
  if (!apiKey && !jwt) return { kind: 'open', address: publicApi ? clientAddress(req, trustProxy) : null };
  const token = /^Bearer ([^\s]+)$/i.exec(String(req.headers.authorization ?? ''))?.[1];
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
 * The job a `/api/jobs/:jobId…` request names, as stored, if the caller may see it; 404 otherwise.
 * Under another project the key does not exist, under another owner it is hidden: both reveal nothing.
 */
export async function visibleJob(
  req: ApiRequest,
  ctx: AppContext,
  params: Record<string, string>,
): Promise<{ caller: Caller; jobId: string; key: string; object: StoredObject; job: JobDocument }> {
  const caller = await callerOf(req, ctx);
  const { projectId, jobId } = jobRefOf(req, params);
  const key = keys.job(projectId, jobId);
  const object = await ctx.store.get(key);
  if (!object) throw new NotFoundError();
  const job = parseJob(key, object.body);
  assertCanSee(caller, job);
  return { caller, jobId, key, object, job };
}
