// The caller of an HTTP request, from its Authorization header (see shared/auth/caller.ts).
import { type Caller, callerFrom } from '../../shared/auth/caller.js';
import type { AppContext } from './context.js';
import type { ApiRequest } from './types.js';

export type { Caller };

export function callerOf(req: ApiRequest, ctx: AppContext): Promise<Caller> {
  return callerFrom(req.headers.authorization, ctx.config.auth);
}
