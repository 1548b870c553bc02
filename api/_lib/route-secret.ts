// The machine routes' shared secrets (WORKER_SECRET for /process, CRON_SECRET for the cron).
import type { Config } from '../../shared/config.js';
import { UnauthorizedError } from '../../shared/errors.js';
import { bearerMatches } from '../../shared/secrets.js';
import type { ApiRequest } from './types.js';

/**
 * Routes for machines (/process: the worker secret; the cron: CRON_SECRET). Without their secret they
 * are open only where the whole API is (local use): once callers need credentials, an unset secret
 * closes the route instead of leaving it the one open door.
 */
export function assertRouteSecret(req: ApiRequest, config: Config, secret: string | null, name: string): void {
  if (secret) {
    if (!bearerMatches(req.headers.authorization, secret)) throw new UnauthorizedError();
    return;
  }
  if (callerAuthOn(config)) throw new UnauthorizedError(`This route is closed: ${name} is not set on this deployment.`);
}

/** Callers need credentials, or the operator made the API public, or it runs in production. */
export function callerAuthOn(config: Config): boolean {
  return Boolean(config.auth.apiKey || config.auth.jwt || config.auth.publicApi || config.production);
}
