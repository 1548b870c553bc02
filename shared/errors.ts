// Typed errors with a stable `code` and HTTP status; `toErrorResponse` is the one place that turns
// any thrown value into the JSON error body, so internal messages never reach a client.

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details?: unknown;
  /** Whether the same operation may succeed if tried again later. */
  readonly retryable: boolean;

  constructor(code: string, message: string, opts: { status?: number; details?: unknown; retryable?: boolean; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = opts.status ?? 500;
    this.details = opts.details;
    this.retryable = opts.retryable ?? false;
  }
}

export class ValidationError extends AppError {
  constructor(message: string, details?: unknown) {
    super('invalid_request', message, { status: 400, details });
  }
}

export class InvalidJsonError extends AppError {
  constructor() {
    super('invalid_json', 'The request body is not valid JSON.', { status: 400 });
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(limitBytes: number) {
    super('payload_too_large', `The request body is larger than ${limitBytes} bytes.`, {
      status: 413,
      details: { limitBytes },
    });
  }
}

export class UnsupportedMediaTypeError extends AppError {
  constructor() {
    super('unsupported_media_type', 'Send the request body as application/json.', { status: 415 });
  }
}

export class NotFoundError extends AppError {
  constructor(what = 'job') {
    super('not_found', `No such ${what}.`, { status: 404 });
  }
}

export class MethodNotAllowedError extends AppError {
  readonly allow: string[];
  constructor(allow: string[]) {
    super('method_not_allowed', `Use ${allow.join(' or ')} on this route.`, { status: 405 });
    this.allow = allow;
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'Missing or wrong credentials.') {
    super('unauthorized', message, { status: 401 });
  }
}

/** A create-only put found the key already there. */
export class StoreConflictError extends AppError {
  constructor(key: string) {
    super('store_conflict', `Object already exists: ${key}`, { status: 409 });
  }
}

/** A key that is not of the store's key grammar (could name a path outside the store). */
export class InvalidKeyError extends AppError {
  constructor(key: string) {
    super('invalid_key', `Invalid store key: ${JSON.stringify(key.slice(0, 200))}`, { status: 400 });
  }
}

/** A stored document failed validation: it is reported, never silently used. */
export class CorruptDocumentError extends AppError {
  constructor(key: string, details: unknown) {
    super('corrupt_document', `Stored document failed validation: ${key}`, { status: 500, details });
  }
}

/** The store could not be reached or answered with a transient fault. */
export class StoreUnavailableError extends AppError {
  constructor(message: string, cause?: unknown) {
    super('store_unavailable', message, { status: 503, retryable: true, cause });
  }
}

/** The store refused our credentials or permissions: a setup problem, never retried. */
export class StoreAuthError extends AppError {
  constructor(message: string, cause?: unknown) {
    super('store_auth', message, { status: 500, cause });
  }
}

/** The store refused a request for a reason retrying cannot fix (bad bucket, object too large, …). */
export class StoreRequestError extends AppError {
  constructor(message: string, status = 500, cause?: unknown) {
    super('store_request_failed', message, { status, cause });
  }
}

/**
 * The store is not set up as configured (a bucket missing or misnamed): nothing can work until it
 * is fixed, so the worker stops at start and the API fails every request, each naming what is wrong.
 */
export class StoreMisconfiguredError extends AppError {
  constructor(message: string) {
    super('store_misconfigured', message, { status: 500 });
  }
}

/** The writer's lease expired or a newer attempt exists: it must write nothing more. */
export class LeaseLostError extends AppError {
  constructor(jobId: string, attempt: number, why: string) {
    super('lease_lost', `Lease on ${jobId} attempt ${attempt} lost: ${why}`, { status: 409 });
  }
}

export class InvalidTransitionError extends AppError {
  constructor(from: string, to: string) {
    super('invalid_transition', `A job cannot go from ${from} to ${to}.`, { status: 409 });
  }
}

/** Raised inside a render when its job was cancelled; the job ends `cancelled`, not `failed`. */
export class CancelledError extends AppError {
  constructor(message = 'The job was cancelled.') {
    super('cancelled', message, { status: 409 });
  }
}

/** One attempt ran longer than its run deadline: aborted, and retried while attempts remain. */
export class RunDeadlineError extends AppError {
  constructor(limitMs: number) {
    super('run_deadline_exceeded', `The render took longer than its run deadline (${Math.round(limitMs / 1000)} s) and was stopped.`, {
      status: 504,
      retryable: true,
    });
  }
}

/** Too many requests from one caller: try again after `retryAfterS`. */
export class RateLimitedError extends AppError {
  readonly retryAfterS: number;
  constructor(retryAfterS: number, limit: number, what = 'new jobs') {
    super('rate_limited', `Too many ${what}: at most ${limit} a minute. Retry in ${retryAfterS} s.`, {
      status: 429,
      retryable: true,
      details: { retryAfterS, limit },
    });
    this.retryAfterS = retryAfterS;
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'These credentials may not do this.') {
    super('forbidden', message, { status: 403 });
  }
}

/** The worker is shutting down and hands the job back to the queue without counting an attempt. */
export class ShutdownError extends AppError {
  constructor() {
    super('worker_shutdown', 'The worker stopped before the render finished; the job was handed back.', {
      status: 503,
      retryable: true,
    });
  }
}

/** A render failure. `retryable` decides between another attempt and failing at once. */
export class RenderError extends AppError {
  /** The provider asked us to wait this long before trying again (`Retry-After`). */
  readonly retryAfterMs: number | null;
  constructor(code: string, message: string, opts: { retryable: boolean; cause?: unknown; retryAfterMs?: number | null }) {
    super(code, message, { status: 502, retryable: opts.retryable, cause: opts.cause });
    this.retryAfterMs = opts.retryAfterMs ?? null;
  }
}

export class ConfigError extends AppError {
  constructor(problems: string[]) {
    super('invalid_config', `Invalid configuration:\n  - ${problems.join('\n  - ')}`, {
      details: problems,
    });
  }
}

export function toErrorResponse(err: unknown): { status: number; body: ErrorBody } {
  if (err instanceof AppError && err.status < 500) {
    const body: ErrorBody = { error: { code: err.code, message: err.message } };
    if (err.details !== undefined) body.error.details = err.details;
    return { status: err.status, body };
  }
  if (err instanceof AppError && err.status === 503) {
    return { status: 503, body: { error: { code: err.code, message: 'Service unavailable, try again shortly.' } } };
  }
  return { status: 500, body: { error: { code: 'internal_error', message: 'Internal server error.' } } };
}

/** Whether an error (ours or the platform's) is worth another attempt. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof AppError) return err.retryable;
  // Unknown errors (a bug, a thrown string) are not retried blindly: they fail the job with a message.
  return false;
}

/** The stable code of one of our errors (or a provider's), if it has one. */
export function errorCodeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[a-z0-9_]{1,64}$/.test(code) ? code : undefined;
}
