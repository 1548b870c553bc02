// The one request core every method goes through: base URL, timeouts, retries on 429/5xx and
// network errors with backoff that honours Retry-After, typed errors. Runs in browsers and Node.
import { errorFromResponse, RenderJobsError } from './errors.js';

export interface ClientOptions {
  /** The API's origin, e.g. https://app.vercel.app ('' in a browser page served by the API). */
  baseUrl?: string;
  fetch?: typeof fetch;
  headers?: Record<string, string>;
  /** Retries of a failed request that is safe to repeat. Default 2. */
  maxRetries?: number;
  /** Per request. Default 30 s. */
  timeoutMs?: number;
}

export interface RequestOptions {
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  signal?: AbortSignal;
  headers?: Record<string, string>;
  /** Safe to send twice (GET, cancel). Creates are retried only when refused before any work (429). */
  idempotent?: boolean;
}

export class Core {
  readonly baseUrl: string;
  readonly fetch: typeof fetch;
  private readonly headers: Record<string, string>;
  private readonly maxRetries: number;
  private readonly timeoutMs: number;

  constructor(opts: ClientOptions = {}) {
    this.baseUrl = (opts.baseUrl ?? '').replace(/\/+$/, '');
    this.fetch = opts.fetch ?? globalThis.fetch.bind(globalThis);
    this.headers = opts.headers ?? {};
    this.maxRetries = opts.maxRetries ?? 2;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  url(path: string, query?: RequestOptions['query']): string {
    const q = query
      ? Object.entries(query)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
      : [];
    const full = /^https?:\/\//.test(path) ? path : this.baseUrl + path;
    return q.length ? `${full}${full.includes('?') ? '&' : '?'}${q.join('&')}` : full;
  }

  /** The raw response of one attempt (no retries): for streams and conditional requests. */
  async raw(method: string, path: string, opts: RequestOptions & { timeoutMs?: number | null } = {}): Promise<Response> {
    const timeout = opts.timeoutMs === null ? null : AbortSignal.timeout(opts.timeoutMs ?? this.timeoutMs);
    const signal = timeout && opts.signal ? AbortSignal.any([timeout, opts.signal]) : (timeout ?? opts.signal);
    try {
      return await this.fetch(this.url(path, opts.query), {
        method,
        headers: { ...this.headers, ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers },
        body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
        signal,
      });
    } catch (err) {
      if (opts.signal?.aborted) throw new RenderJobsError('aborted', 'The request was aborted.', { cause: err });
      if (timeout?.aborted) throw new RenderJobsError('timeout', `No answer from ${method} ${path} in time.`, { cause: err });
      throw new RenderJobsError('network', `Could not reach the API: ${(err as Error).message}`, { cause: err });
    }
  }

  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      let error: RenderJobsError;
      let retryAfterMs: number | null = null;
      try {
        const res = await this.raw(method, path, opts);
        if (res.ok) return (res.status === 204 ? undefined : await res.json()) as T;
        error = await errorFromResponse(res);
        retryAfterMs = retryAfter(res.headers.get('retry-after'));
      } catch (err) {
        if (!(err instanceof RenderJobsError)) throw err;
        error = err;
      }
      const mayRetry = error.code !== 'aborted' && (opts.idempotent ? error.retryable : error.status === 429);
      if (!mayRetry || attempt >= this.maxRetries) throw error;
      const backoff = Math.min(8_000, 250 * 2 ** attempt) * (0.5 + Math.random() / 2);
      await sleep(Math.max(backoff, retryAfterMs ?? 0), opts.signal);
    }
  }
}

export function retryAfter(value: string | null): number | null {
  if (!value) return null;
  const s = Number(value);
  if (Number.isFinite(s)) return Math.max(0, s * 1000);
  const d = Date.parse(value);
  return Number.isFinite(d) ? Math.max(0, d - Date.now()) : null;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new RenderJobsError('aborted', 'Aborted.'));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new RenderJobsError('aborted', 'Aborted.'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
