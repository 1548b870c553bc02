// The JSON error body for express apps (local API server, worker), including body-parser failures.
import type { NextFunction, Request, Response } from 'express';
import { AppError, InvalidJsonError, PayloadTooLargeError, toErrorResponse } from '../errors.js';
import type { Logger } from '../logger.js';

export function notFound(_req: Request, _res: Response, next: NextFunction): void {
  next(new AppError('not_found', 'No such route.', { status: 404 }));
}

export function jsonErrors(log: Logger, maxBodyBytes: number) {
  return function onError(err: unknown, _req: Request, res: Response, _next: NextFunction): void {
    const type = (err as { type?: string }).type;
    const mapped = toErrorResponse(
      type === 'entity.too.large' ? new PayloadTooLargeError(maxBodyBytes) : type === 'entity.parse.failed' ? new InvalidJsonError() : err,
    );
    if (mapped.status >= 500) log.error({ err }, 'request failed');
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(mapped.status).json(mapped.body);
  };
}
