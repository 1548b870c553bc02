// The caller of an HTTP request, from its Authorization header (see shared/auth/caller.ts). On a
// deployment the operator declared public (PUBLIC_API=true) an anonymous caller is told apart by
// address, so that limits can hold per address.
import { type Caller, callerFrom } from '../../shared/auth/caller.js';
import { clientAddress } from './caller-scope.js';
import type { AppContext } from './context.js';
import type { ApiRequest } from './types.js';

export type { Caller };

export function callerOf(req: ApiRequest, ctx: AppContext): Promise<Caller> {
  const { publicApi, trustProxy } = ctx.config.auth;
  return callerFrom(req.headers.authorization, ctx.config.auth, publicApi ? clientAddress(req, trustProxy) : null);
}
