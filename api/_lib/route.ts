// Wraps a file-routed handler: method dispatch, path parameters read from the URL (never trusted
// from the query string), and every error turned into the JSON error body with the right status.
import { AppError, MethodNotAllowedError, RateLimitedError, ValidationError, toErrorResponse } from '../../shared/errors.js';
import { randomUUID } from 'node:crypto';
import { waitUntil } from '@vercel/functions';
import { setSecurityHeaders } from '../../shared/http/guard.js';
import { type AppContext, contextOf } from './context.js';
import type { ApiHandler, ApiRequest, ApiResponse } from './types.js';

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
export type RouteHandler = (req: ApiRequest, res: ApiResponse, ctx: AppContext, params: Record<string, string>) => Promise<void>;

/**
 * `pattern` is the file's route, e.g. `/api/jobs/[jobId]/cancel`; segments in brackets become params.
 */
export function route(pattern: string, handlers: Partial<Record<Method, RouteHandler>>): ApiHandler {
  const names: string[] = [];
  const regex = new RegExp(
    '^' +
      pattern.replace(/\[(\w+)\]/g, (_m, name: string) => {
        names.push(name);
        return '([^/]*)';
      }) +
      '/?$',
  );
  const allow = Object.keys(handlers);
  return async function handle(req, res) {
    const ctx = withRequestId(contextOf(req), req, res);
    setSecurityHeaders(res);
    try {
      const method = (req.method ?? 'GET').toUpperCase() as Method;
      const handler = handlers[method] ?? (method === ('HEAD' as Method) ? handlers.GET : undefined);
      if (!handler) {
        res.setHeader('Allow', allow.join(', '));
        throw new MethodNotAllowedError(allow);
      }
      await handler(req, res, ctx, pathParams(req, regex, names));
    } catch (err) {
      sendError(res, err, ctx);
    } finally {
      // Webhooks a request caused (an inline job's outcome, a cancel) are sent after the answer:
      // on Vercel the function must be told to wait for them.
      const webhooks = ctx.queue.webhooks;
      if (webhooks?.busy) waitUntil(webhooks.idle());
    }
  };
}

function pathParams(req: ApiRequest, regex: RegExp, names: string[]): Record<string, string> {
  const pathname = (req.url ?? '').split('?')[0] ?? '';
  const match = regex.exec(pathname);
  const params: Record<string, string> = {};
  names.forEach((name, i) => {
    // Vercel's router also copies the segment into the query (`?jobId=$1`); the path is the source,
    // the query only a fallback if a platform ever hands us the rewritten path.
    const fromQuery = req.query?.[name];
    const fromPath = match?.[i + 1];
    const raw = fromPath !== undefined && fromPath !== `[${name}]` ? fromPath : typeof fromQuery === 'string' ? encodeURIComponent(fromQuery) : '';
    try {
      params[name] = decodeURIComponent(raw);
    } catch {
      throw new ValidationError(`Path parameter ${name} is not valid percent-encoding.`);
    }
  });
  return params;
}

export function sendError(res: ApiResponse, err: unknown, ctx: AppContext): void {
  const { status, body } = toErrorResponse(err);
  if (status >= 500) ctx.log.error({ err }, 'request failed');
  else if (!(err instanceof AppError)) ctx.log.warn({ err }, 'request rejected');
  if (res.headersSent) {
    res.end();
    return;
  }
  res.setHeader('Cache-Control', 'no-store');
  if (err instanceof RateLimitedError) res.setHeader('Retry-After', String(err.retryAfterS));
  else if (status === 409 && err instanceof AppError && err.retryable) res.setHeader('Retry-After', '1');
  res.status(status).json(body);
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The request's id: the caller's (or the platform's) `x-request-id` when it is a sane token, else a
 * new one. Sent back on the answer, bound to every log line of the request, and recorded on the
 * job history entries the request causes.
 */
function withRequestId(ctx: AppContext, req: ApiRequest, res: ApiResponse): AppContext {
  const incoming = req.headers['x-request-id'];
  const requestId = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader('x-request-id', requestId);
  const log = ctx.log.child({ requestId });
  return { ...ctx, requestId, log, queue: { ...ctx.queue, log } };
}
