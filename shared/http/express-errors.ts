// The JSON error body for express apps (local API server, worker), including body-parser failures.
import type { NextFunction, Request, Response } from 'express';
import { AppError, InvalidJsonError, PayloadTooLargeError, toErrorResponse } from '../errors.js';
import type { Logger } from '../logger.js';

export function notFound(_req: Request, _res: Response, next: NextFunction): void {
  next(new AppError('not_found', 'No such route.', { status: 404 }));
}

export function jsonErrors(log: Logger, maxBodyBytes: number) {
  return function onError(err: unknown, _req: Request, res: Response, _next: NextFunction): void {
    const mapped = toErrorResponse(fromExpress(err, maxBodyBytes));
    if (mapped.status >= 500) log.error({ err }, 'request failed');
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(mapped.status).json(mapped.body);
  };
}

/** express and body-parser raise http-errors; give them our codes (e.g. a path that is bad %-encoding). */
function fromExpress(err: unknown, maxBodyBytes: number): unknown {
  if (err instanceof AppError) return err;
  const e = err as { type?: string; status?: number; statusCode?: number; limit?: number };
  if (e.type === 'entity.too.large') return new PayloadTooLargeError(e.limit ?? maxBodyBytes);
  if (e.type === 'entity.parse.failed') return new InvalidJsonError();
  const status = e.status ?? e.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new AppError('bad_request', 'The request could not be read.', { status });
  }
  return err;
}
