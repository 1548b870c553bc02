// One subscription per job, shared by every wait on it: a page waiting on 20 jobs holds at most one
// connection per job, and when a job ends (or its last listener leaves) its connection closes and
// its listeners are dropped. Server-Sent Events when the server streams them (reconnecting with
// Last-Event-ID when a stream ends at the function's time budget); polling with the server's hint
// and If-None-Match otherwise.
import type { Core } from './core.js';
import { sleep } from './core.js';
import { RenderJobsError } from './errors.js';
import { createSseParser } from './sse.js';
import { isFinished, type JobView } from './types.js';

export type WatchEvent =
  | { type: 'update'; view: JobView }
  | { type: 'preview'; previewUrl: string }
  | { type: 'done'; view: JobView }
  | { type: 'error'; error: RenderJobsError };
export type Listener = (event: WatchEvent) => void;

/** Transport failures in a row before SSE is given up for polling. */
const SSE_FAILURES_BEFORE_POLLING = 3;

export class WaitDispatcher {
  private readonly subs = new Map<string, Subscription>();
  constructor(
    private readonly core: Core,
    private readonly opts: { sse: boolean },
  ) {}

  /** Open subscriptions (one per job being watched). */
  get size(): number {
    return this.subs.size;
  }

  /** Calls `listener` with every change of the job until it ends; returns the way to stop listening. */
  watch(projectId: string, jobId: string, listener: Listener): () => void {
    const key = `${projectId}/${jobId}`;
    let sub = this.subs.get(key);
    if (!sub) {
      sub = new Subscription(this.core, projectId, jobId, this.opts.sse, () => this.subs.delete(key));
      this.subs.set(key, sub);
    }
    return sub.add(listener);
  }
}

class Subscription {
  private readonly listeners = new Set<Listener>();
  private readonly abort = new AbortController();
  private latest: JobView | null = null;
  private ended = false;

  constructor(
    private readonly core: Core,
    private readonly projectId: string,
    private readonly jobId: string,
    private useSse: boolean,
    private readonly onClose: () => void,
  ) {
    queueMicrotask(() => void this.run());
  }

  add(listener: Listener): () => void {
    this.listeners.add(listener);
    // A late listener hears the state the others already know.
    if (this.latest) {
      const view = this.latest;
      queueMicrotask(() => this.listeners.has(listener) && listener({ type: 'update', view }));
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.close();
    };
  }

  private close(): void {
    if (this.ended) return;
    this.ended = true;
    this.abort.abort();
    this.listeners.clear();
    this.onClose();
  }

  private emit(event: WatchEvent): void {
    if (event.type === 'update' || event.type === 'done') this.latest = event.view;
    for (const l of [...this.listeners]) l(event);
    if (event.type === 'done' || event.type === 'error') this.close();
  }

  private get q() {
    return { projectId: this.projectId };
  }

  private async run(): Promise<void> {
    let lastEventId: string | null = null;
    let etag: string | null = null;
    let failures = 0;
    try {
      while (!this.ended) {
        if (this.useSse) {
          const r = await this.stream(lastEventId);
          lastEventId = r.lastEventId;
          if (r.kind === 'finished') return;
          if (r.kind === 'unsupported') this.useSse = false;
          else if (r.kind === 'failed' && ++failures >= SSE_FAILURES_BEFORE_POLLING) this.useSse = false;
          else if (r.kind === 'budget') failures = 0;
          await sleep(r.retryMs, this.abort.signal);
          continue;
        }
        const res = await this.core.raw('GET', `/api/jobs/${encodeURIComponent(this.jobId)}`, {
          query: this.q,
          signal: this.abort.signal,
          headers: etag ? { 'if-none-match': etag } : {},
        });
        let waitMs = this.latest?.pollAfterMs ?? 1_000;
        if (res.status === 404) return this.emit({ type: 'error', error: gone(this.jobId) });
        // A 304 still carries the current hint: it moves as the job nears its end.
        const hinted = Number(res.headers.get('x-poll-after-ms'));
        if (Number.isFinite(hinted) && hinted > 0) waitMs = hinted;
        if (res.status === 200) {
          etag = res.headers.get('etag');
          const view = (await res.json()) as JobView;
          this.emit(isFinished(view.job.status) ? { type: 'done', view } : { type: 'update', view });
          waitMs = view.pollAfterMs ?? waitMs;
        } else if (res.status !== 304) {
          waitMs = Math.min(10_000, 1_000 * 2 ** Math.min(4, ++failures));
        }
        await sleep(Math.min(10_000, Math.max(200, waitMs)), this.abort.signal);
      }
    } catch (err) {
      if (this.ended) return;
      const error = err instanceof RenderJobsError ? err : new RenderJobsError('network', (err as Error).message, { cause: err });
      // Transport trouble: keep going by polling after a pause; the waiter's own cap ends it.
      if (error.retryable) {
        this.useSse = false;
        await sleep(1_000, this.abort.signal).catch(() => undefined);
        if (!this.ended) return this.run();
        return;
      }
      this.emit({ type: 'error', error });
    }
  }

  /** One SSE connection, read to its end. */
  private async stream(
    lastEventId: string | null,
  ): Promise<{ kind: 'finished' | 'budget' | 'unsupported' | 'failed'; lastEventId: string | null; retryMs: number }> {
    let retryMs = 1_000;
    let finished = false;
    const path = `/api/jobs/${encodeURIComponent(this.jobId)}/events`;
    let res: Response;
    try {
      res = await this.core.raw('GET', path, {
        query: this.q,
        signal: this.abort.signal,
        timeoutMs: null,
        headers: { accept: 'text/event-stream', ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
      });
    } catch (err) {
      if (this.ended) return { kind: 'finished', lastEventId, retryMs };
      if (err instanceof RenderJobsError && err.retryable) return { kind: 'failed', lastEventId, retryMs };
      throw err;
    }
    if (res.status === 404) {
      // The job is gone, or this server has no event route: the status route tells which.
      const check = await this.core.raw('GET', `/api/jobs/${encodeURIComponent(this.jobId)}`, { query: this.q, signal: this.abort.signal });
      if (check.status === 404) {
        this.emit({ type: 'error', error: gone(this.jobId) });
        return { kind: 'finished', lastEventId, retryMs };
      }
      return { kind: 'unsupported', lastEventId, retryMs: 0 };
    }
    if (!res.ok || !res.body || !(res.headers.get('content-type') ?? '').includes('text/event-stream')) {
      return { kind: res.status >= 500 ? 'failed' : 'unsupported', lastEventId, retryMs: res.status >= 500 ? 1_000 : 0 };
    }
    const parser = createSseParser({
      retry: (ms) => (retryMs = ms),
      event: (e) => {
        if (e.id) lastEventId = e.id;
        const data = JSON.parse(e.data) as Record<string, unknown>;
        if (e.event === 'status') this.emit({ type: 'update', view: data as unknown as JobView });
        else if (e.event === 'done') {
          finished = true;
          this.emit({ type: 'done', view: data as unknown as JobView });
        } else if (e.event === 'preview') this.emit({ type: 'preview', previewUrl: String(data.previewUrl) });
        else if (e.event === 'gone') {
          finished = true;
          this.emit({ type: 'error', error: gone(this.jobId) });
        }
      },
    });
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        parser.feed(decoder.decode(value, { stream: true }));
        if (finished) break;
      }
    } catch {
      if (this.ended) return { kind: 'finished', lastEventId, retryMs };
      return { kind: 'failed', lastEventId, retryMs };
    } finally {
      reader.cancel().catch(() => undefined);
    }
    return { kind: finished || this.ended ? 'finished' : 'budget', lastEventId, retryMs };
  }
}

function gone(jobId: string): RenderJobsError {
  return new RenderJobsError('not_found', `Job ${jobId} does not exist (any more): it was never created under this project, or it was pruned.`, {
    status: 404,
  });
}
