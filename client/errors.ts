// Errors the client raises: one class with the server's stable `code` (or the client's own:
// `timeout`, `aborted`, `network`, `wait_timeout`), the HTTP status when there was one.
export class RenderJobsError extends Error {
  readonly code: string;
  readonly status: number | null;
  readonly details: unknown;
  constructor(code: string, message: string, opts: { status?: number | null; details?: unknown; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'RenderJobsError';
    this.code = code;
    this.status = opts.status ?? null;
    this.details = opts.details;
  }
  /** Worth trying again: rate limits, server and network trouble. */
  get retryable(): boolean {
    return this.code === 'network' || this.code === 'timeout' || this.status === 429 || (this.status !== null && this.status >= 500);
  }
}

export async function errorFromResponse(res: Response): Promise<RenderJobsError> {
  const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string; details?: unknown } } | null;
  const e = body?.error;
  return new RenderJobsError(e?.code ?? `http_${res.status}`, e?.message ?? `HTTP ${res.status}`, { status: res.status, details: e?.details });
}
