// What an OpenAI failure means for the job: retry later (rate limits, outages, timeouts, dropped
// connections; honouring Retry-After) or fail now with a message the user can act on.
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { RenderError } from '../../errors.js';

export function classifyOpenAIError(err: unknown, signal: AbortSignal): unknown {
  // Cancel, shutdown and lost leases abort the call: their reason decides what happens to the job.
  if (signal.aborted) return signal.reason;
  if (err instanceof RenderError) return err;
  if (err instanceof APIConnectionTimeoutError || err instanceof APIUserAbortError) {
    return new RenderError('openai_timeout', 'OpenAI did not answer in time.', { retryable: true, cause: err });
  }
  if (err instanceof APIConnectionError) {
    return new RenderError('openai_unreachable', `Could not reach OpenAI: ${err.message}`, { retryable: true, cause: err });
  }
  if (!(err instanceof APIError)) {
    return new RenderError('openai_failed', `The OpenAI render failed: ${(err as Error)?.message ?? String(err)}`, { retryable: true, cause: err });
  }
  const status = err.status ?? 0;
  const detail = apiMessage(err);
  // An error event inside a stream has no HTTP status: only its code tells what it was.
  if (err.status === undefined && err.code !== 'moderation_blocked') {
    return new RenderError('openai_stream_error', `OpenAI stopped the render mid-stream (${detail}).`, { retryable: true, cause: err });
  }
  const retryAfterMs = retryAfterOf(err.headers);
  if (status === 429) {
    // Out of credit is not a rate limit: waiting does not help, paying does.
    if (err.code === 'insufficient_quota') {
      return new RenderError('openai_quota', `OpenAI refused the render: the account is out of credit (${detail}).`, { retryable: false, cause: err });
    }
    return new RenderError('openai_rate_limited', `OpenAI is rate limiting us (${detail}).`, { retryable: true, retryAfterMs, cause: err });
  }
  if (status >= 500) {
    return new RenderError('openai_unavailable', `OpenAI had a server error (${status}: ${detail}).`, { retryable: true, retryAfterMs, cause: err });
  }
  if (err.code === 'moderation_blocked') {
    return new RenderError(
      'moderation_blocked',
      "OpenAI's safety system refused this request. Change the concept's title or stylePrompt (or the reference images) and submit it again.",
      { retryable: false, cause: err },
    );
  }
  if (status === 401) {
    return new RenderError('openai_auth', 'OpenAI refused the API key: check OPENAI_API_KEY on the worker.', { retryable: false, cause: err });
  }
  if (status === 403) {
    return new RenderError('openai_forbidden', `OpenAI refused access (${detail}). Image models may need a verified organization.`, {
      retryable: false,
      cause: err,
    });
  }
  if (status === 404) {
    return new RenderError('openai_model_not_found', `OpenAI does not know this model (${detail}): check OPENAI_MODEL.`, { retryable: false, cause: err });
  }
  return new RenderError('openai_invalid_request', `OpenAI rejected the request: ${detail}`, { retryable: false, cause: err });
}

function apiMessage(err: APIError): string {
  const body = err.error as { message?: string } | undefined;
  return body?.message ?? err.message;
}

/** `retry-after-ms`, or `retry-after` in seconds or as an HTTP date. */
export function retryAfterOf(headers: Headers | undefined, now = Date.now()): number | null {
  if (!headers) return null;
  const ms = Number(headers.get('retry-after-ms'));
  if (headers.get('retry-after-ms') && Number.isFinite(ms) && ms >= 0) return ms;
  const raw = headers.get('retry-after');
  if (!raw) return null;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(raw);
  return Number.isFinite(date) ? Math.max(0, date - now) : null;
}
