// Runs one claimed job to an outcome: renders with an AbortSignal, renews the lease by heartbeat,
// watches for a cancel request, writes progress (throttled), stores the image, completes the job.
import { CancelledError, LeaseLostError, ShutdownError } from '../errors.js';
import type { JobDocument } from '../job/document.js';
import { jobUrls } from '../job/urls.js';
import { cancelled, complete, failOrRetry, handBack } from '../queue/finish.js';
import type { JobHolder } from '../queue/holder.js';
import type { RenderProgress, RenderProvider } from '../providers/provider.js';
import { keys } from '../store/keys.js';

/** Progress is written at most once a second (clients poll every 1–2 s); the latest value always
 * lands, earlier ones may be skipped. Each write costs a fence check and a put. */
const PROGRESS_EVERY_MS = 1000;

export interface RunOptions {
  provider: RenderProvider;
  /** Aborted when the process is shutting down and the drain window is over: the job is handed back. */
  shutdown?: AbortSignal;
}

/** The job's final (or re-queued) document, or null if the lease was lost and another worker owns it. */
export async function runJob(holder: JobHolder, opts: RunOptions): Promise<JobDocument | null> {
  const { deps } = holder;
  const log = holder.log;
  const abort = new AbortController();
  const onShutdown = () => abort.abort(new ShutdownError());
  if (opts.shutdown?.aborted) onShutdown();
  opts.shutdown?.addEventListener('abort', onShutdown, { once: true });

  const beat = setInterval(() => {
    void (async () => {
      try {
        if (await holder.cancelRequested()) abort.abort(new CancelledError());
        // A progress write renews the lease too; only beat when nothing else has lately.
        else if (holder.msSinceWrite() >= deps.queue.heartbeatMs / 2) await holder.heartbeat();
      } catch (err) {
        if (err instanceof LeaseLostError) abort.abort(err);
        // A store hiccup: the lease has two heartbeats of slack, the next beat tries again.
        else log.warn({ err }, 'heartbeat failed');
      }
    })();
  }, deps.queue.heartbeatMs);

  const progress = new ProgressWriter(holder);
  const startedMs = deps.now();
  try {
    const out = await opts.provider.render(
      {
        jobId: holder.doc.jobId,
        projectId: holder.doc.projectId,
        conceptId: holder.doc.conceptId,
        renderType: holder.doc.renderType,
        conceptInputs: holder.doc.conceptInputs,
      },
      { signal: abort.signal, onProgress: (p) => progress.report(p) },
    );
    abort.signal.throwIfAborted();
    const renderMs = deps.now() - startedMs;
    // Replaces whatever the provider reported last: one write, not two.
    progress.report({ progress: 97, stage: 'storing', message: 'Saving the image.' });
    await progress.flush();
    const { projectId, jobId, createdAt } = holder.doc;
    const key = keys.result(projectId, jobId, out.ext);
    // Same key on every attempt: a retried or taken-over job still ends with exactly one result.
    await deps.store.put(key, out.image, { contentType: out.contentType });
    abort.signal.throwIfAborted();
    const totalMs = deps.now() - Date.parse(createdAt);
    return await complete(
      holder,
      {
        key,
        contentType: out.contentType,
        bytes: out.image.length,
        width: out.width,
        height: out.height,
        renderer: opts.provider.name,
        model: out.model,
        timings: { queuedMs: Math.max(0, startedMs - Date.parse(createdAt)), renderMs, totalMs: Math.max(0, totalMs) },
      },
      jobUrls(projectId, jobId).imageUrl,
    );
  } catch (err) {
    const reason: unknown = abort.signal.aborted ? abort.signal.reason : err;
    await progress.flush().catch(() => undefined);
    return await settle(holder, reason);
  } finally {
    clearInterval(beat);
    opts.shutdown?.removeEventListener('abort', onShutdown);
  }
}

async function settle(holder: JobHolder, reason: unknown): Promise<JobDocument | null> {
  try {
    if (reason instanceof LeaseLostError) throw reason;
    if (reason instanceof CancelledError) return await cancelled(holder);
    if (reason instanceof ShutdownError) return await handBack(holder);
    return await failOrRetry(holder, reason);
  } catch (err) {
    if (err instanceof LeaseLostError) {
      // Another worker owns the job now; writing anything would break the one-writer rule.
      holder.log.warn({ err: err.message }, 'lease lost; leaving the job to its new holder');
      return null;
    }
    throw err;
  }
}

/** Coalesces progress reports into at most one write per interval, in order, never overlapping. */
class ProgressWriter {
  private latest: RenderProgress | null = null;
  private lastWriteMs = 0;
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<unknown> = Promise.resolve();

  constructor(private readonly holder: JobHolder) {}

  report(p: RenderProgress): void {
    this.latest = p;
    if (this.timer) return;
    const wait = Math.max(0, this.lastWriteMs + PROGRESS_EVERY_MS - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.inFlight = this.writeLatest();
    }, wait);
  }

  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
      this.inFlight = this.writeLatest();
    }
    await this.inFlight;
  }

  private async writeLatest(): Promise<void> {
    const p = this.latest;
    if (!p) return;
    this.latest = null;
    this.lastWriteMs = Date.now();
    try {
      await this.holder.write((d) => ({
        ...d,
        progress: Math.max(0, Math.min(100, Math.round(p.progress))),
        stage: p.stage.slice(0, 64),
        message: p.message?.slice(0, 500) ?? d.message,
      }));
    } catch (err) {
      // A lost lease is noticed by the heartbeat, which aborts the render; a failed write is retried
      // by the next report. Progress is advisory: it never fails a render.
      if (!(err instanceof LeaseLostError)) this.holder.log.debug({ err }, 'progress write failed');
    }
  }
}
