// Every error code the HTTP API can answer with: its status, whether trying again can help, and
// what it means. The README's error table and the OpenAPI document (`x-error-codes`) come from here,
// and test/api/error-codes.test.ts checks that every code thrown in the code is listed (or is one of
// the internal codes below, which never reach a client as such).

export interface ErrorCodeInfo {
  status: number;
  /** The same request may succeed later (after `Retry-After` where one is sent). */
  retryable: boolean;
  meaning: string;
}

export const HTTP_ERROR_CODES = {
  invalid_request: {
    status: 400,
    retryable: false,
    meaning: 'a field is missing, of the wrong type or out of range (`details` lists each zod issue); a bad id or cursor; a concept too costly to draw',
  },
  invalid_json: { status: 400, retryable: false, meaning: 'the body is not valid JSON' },
  bad_request: { status: 400, retryable: false, meaning: 'the URL cannot be decoded' },
  upload_missing: { status: 400, retryable: false, meaning: "an `edit` names an upload that is not there, or not the caller's (`details.missing`)" },
  upload_empty: { status: 400, retryable: false, meaning: 'an `edit` names an upload that is empty' },
  invalid_webhook: {
    status: 400,
    retryable: false,
    meaning: 'the webhook URL is refused (not https in production, a private or local address; `WEBHOOK_ALLOW_PRIVATE=true` allows those in development)',
  },
  webhooks_disabled: { status: 400, retryable: false, meaning: 'a request asks for a webhook and `WEBHOOK_SECRET` is not set' },
  unauthorized: {
    status: 401,
    retryable: false,
    meaning: 'no valid API key or access token (when auth is on); `/process` or the cron without their bearer secret; a bad upload URL',
  },
  forbidden: { status: 403, retryable: false, meaning: 'the credential is valid but may not do this' },
  not_found: { status: 404, retryable: false, meaning: 'no such job — also a job asked for under another project or by another user' },
  method_not_allowed: { status: 405, retryable: false, meaning: 'wrong method (`Allow` says which)' },
  not_ready: { status: 409, retryable: true, meaning: 'the image of a job that is not completed (or a preview not yet made)' },
  upload_exists: { status: 409, retryable: false, meaning: 'an upload URL used twice' },
  idempotency_in_progress: {
    status: 409,
    retryable: true,
    meaning: 'the first request with this `Idempotency-Key` is still creating the job (`Retry-After: 1`)',
  },
  payload_too_large: { status: 413, retryable: false, meaning: 'body over `MAX_BODY_BYTES`' },
  upload_too_large: { status: 413, retryable: false, meaning: 'an upload over its declared size or `UPLOAD_MAX_BYTES`' },
  unsupported_media_type: { status: 415, retryable: false, meaning: 'body not `application/json`; an upload that is not PNG/JPEG/WebP' },
  upload_wrong_type: { status: 415, retryable: false, meaning: 'an upload that is not of the type declared for its URL' },
  host_not_allowed: { status: 421, retryable: false, meaning: 'a `Host` this server does not answer for (`ALLOWED_HOSTS`)' },
  idempotency_key_reused: { status: 422, retryable: false, meaning: 'an `Idempotency-Key` sent again with a different request' },
  rate_limited: { status: 429, retryable: true, meaning: 'over `CREATE_RATE_PER_MINUTE` or `UPLOAD_RATE_PER_MINUTE` (`Retry-After` in seconds)' },
  upload_quota_exceeded: {
    status: 429,
    retryable: true,
    meaning: "the caller's uploads in this project are over `UPLOAD_QUOTA_BYTES` until older ones are pruned",
  },
  too_many_streams: { status: 429, retryable: true, meaning: 'over `EVENT_STREAMS_PER_CALLER` open event streams' },
  internal_error: {
    status: 500,
    retryable: false,
    meaning:
      'a bug, or a setup problem (`store_auth`, `store_request_failed`, `store_misconfigured` in the server log; `render-jobs doctor` names it); details only in the log',
  },
  store_unavailable: { status: 503, retryable: true, meaning: 'the store failed after its retries; try again' },
} as const satisfies Record<string, ErrorCodeInfo>;

/**
 * Codes that never reach a client as an answer: 5xx setup problems (answered `internal_error`),
 * and signals between the queue's own parts.
 */
export const INTERNAL_ERROR_CODES = [
  'store_auth',
  'store_request_failed',
  'store_misconfigured',
  'store_conflict',
  'invalid_key',
  'corrupt_document',
  'invalid_config',
  'invalid_transition',
  'lease_lost',
  'cancelled',
  'worker_shutdown',
  'run_deadline_exceeded',
] as const;

/** The README's error table, one row per code, from the registry. */
export function errorTableMarkdown(): string {
  const rows = Object.entries(HTTP_ERROR_CODES).map(([code, e]) => `| ${e.status} | \`${code}\` | ${e.retryable ? 'yes' : 'no'} | ${e.meaning} |`);
  return ['| status | code | retry? | when |', '|---|---|---|---|', ...rows].join('\n');
}
