// Runs one claimed job to an outcome: renders with an AbortSignal, renews the lease by heartbeat,
// watches for a cancel request, writes progress (throttled), stores the image, completes the job.
import { CancelledError, LeaseLostError, RunDeadlineError, ShutdownError } from '../errors.js';
import type { JobDocument } from '../job/document.js';
import { appendHistory } from '../job/history.js';
import { imageLink } from '../job/image-url.js';
import { kindOf } from '../kinds/index.js';
import { storeResult } from './store-result.js';
import { cancelled, complete, failOrRetry, handBack } from '../queue/finish.js';
import type { JobHolder } from '../queue/holder.js';
import { renewAfterMs } from '../queue/lease.js';
import type { RenderProgress, RenderProvider } from '../providers/provider.js';
import { keys } from '../store/keys.js';

/** Progress is written at most once a second (clients poll every 1–2 s); the latest value always
 * lands, earlier ones may be skipped. Each write costs a fence check and a put. */
const PROGRESS_EVERY_MS = 1000;

export interface RunOptions {
  provider: RenderProvider;
  /** Lifetime of signed image URLs (stores that sign them). */
  signedUrlTtlS?: number;
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
        else if (holder.msSinceWrite() >= renewAfterMs(deps.queue)) await holder.heartbeat();
      } catch (err) {
        if (err instanceof LeaseLostError) abort.abort(err);
        // A store hiccup: the lease has at least two heartbeats of slack, the next beat tries again.
        else log.warn({ err }, 'heartbeat failed');
      }
    })();
  }, deps.queue.heartbeatMs);

  // The run deadline: the render is aborted, and retried or failed like any retryable error.
  const runMs = holder.doc.deadlines.runMs ?? deps.queue.runDeadlineMs;
  const deadline = setTimeout(() => abort.abort(new RunDeadlineError(runMs)), runMs);

  const progress = new ProgressWriter(holder);
  const ttlS = opts.signedUrlTtlS ?? 24 * 60 * 60;
  // The claim's write may still be landing (a worker starts the render beside it): 'started' goes
  // out with the document that says so, and a claim that was not written stops the render.
  holder.claimed().then(
    (doc) => deps.webhooks?.notify(doc, 'started'),
    (err: unknown) => abort.abort(err),
  );
  const startedMs = deps.now();
  try {
    const out = await kindOf(holder.doc.kind).run(
      holder.doc,
      { store: deps.store, provider: async () => opts.provider },
      {
        signal: abort.signal,
        onProgress: (p) => progress.report(p),
        onPreview: (image, contentType) => progress.preview(image, contentType, ttlS),
      },
    );
    abort.signal.throwIfAborted();
    const renderMs = deps.now() - startedMs;
    // Shown only if storing takes a progress interval (a large image, a slow store) or a write falls
    // due meanwhile: otherwise the ending replaces it, and written at once it cost a token check and
    // a put that the ending waited for.
    progress.report({ progress: 97, stage: 'storing', message: 'Saving the image.' }, PROGRESS_EVERY_MS);
    const createdMs = Date.parse(holder.doc.createdAt);
    const timings = { queuedMs: Math.max(0, startedMs - createdMs), renderMs, totalMs: Math.max(0, deps.now() - createdMs) };
    holder.checkTokenAhead();
    const { result, link } = await storeResult(deps.store, holder.doc, out, { timings, ttlS });
    abort.signal.throwIfAborted();
    return await complete(holder, result, link, await progress.stop());
  } catch (err) {
    const reason: unknown = abort.signal.aborted ? abort.signal.reason : err;
    await progress.flush().catch(() => undefined);
    return await settle(holder, reason);
  } finally {
    clearInterval(beat);
    clearTimeout(deadline);
    opts.shutdown?.removeEventListener('abort', onShutdown);
    await holder.releaseSlots();
  }
}

async function settle(holder: JobHolder, reason: unknown): Promise<JobDocument | null> {
  try {
    if (reason instanceof LeaseLostError) throw reason;
    // A render that failed before its claim landed: the attempt it counts is the claim's.
    await holder.claimed();
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
  private latestPreview: { key: string; url: string } | null = null;
  private previewing: Promise<void> | null = null;
  private nextPreview: { image: Buffer; contentType: string; ttlS: number } | null = null;
  /** Made right after the claim, which wrote progress 0: the first report waits an interval too. */
  private lastWriteMs = Date.now();
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<unknown> = Promise.resolve();

  constructor(private readonly holder: JobHolder) {}

  /** `notBeforeMs`: written no sooner than this from now, unless a write already falls due sooner. */
  report(p: RenderProgress, notBeforeMs = 0): void {
    this.latest = p;
    if (this.timer) return;
    const wait = Math.max(notBeforeMs, this.lastWriteMs + PROGRESS_EVERY_MS - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.inFlight = this.writeLatest();
    }, wait);
  }

  /** Stores a partial image and shows it with the next progress write; only the newest matters. */
  preview(image: Buffer, contentType: string, ttlS: number): void {
    this.nextPreview = { image, contentType, ttlS };
    this.previewing ??= this.storePreviews().finally(() => (this.previewing = null));
  }

  private async storePreviews(): Promise<void> {
    const { deps, doc } = this.holder;
    for (let p = this.nextPreview; p; p = this.nextPreview) {
      this.nextPreview = null;
      const key = keys.preview(doc.projectId, doc.jobId, p.contentType === 'image/jpeg' ? 'jpg' : p.contentType.slice('image/'.length));
      try {
        await deps.store.put(key, p.image, { contentType: p.contentType });
        const link = await imageLink(deps.store, doc, key, { variant: 'preview', ttlS: p.ttlS });
        this.latestPreview = { key, url: link.url };
        this.report(this.latest ?? { progress: this.holder.doc.progress, stage: this.holder.doc.stage ?? 'rendering' });
      } catch (err) {
        // A preview is a courtesy: failing to store one never fails the render.
        this.holder.log.debug({ err }, 'preview not stored');
      }
    }
  }

  /**
   * Drops a write not yet made (the ending follows) and waits for one under way; the newest
   * preview not yet written is handed to the ending instead.
   */
  async stop(): Promise<{ previewKey: string; previewUrl: string } | null> {
    await this.previewing;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.latest = null;
    await this.inFlight;
    const preview = this.latestPreview;
    return preview ? { previewKey: preview.key, previewUrl: preview.url } : null;
  }

  async flush(): Promise<void> {
    await this.previewing;
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
    const preview = this.latestPreview;
    this.lastWriteMs = Date.now();
    try {
      const before = this.holder.doc.progress;
      const written = await this.holder.write((d) => ({
        ...d,
        progress: Math.max(0, Math.min(100, Math.round(p.progress))),
        stage: p.stage.slice(0, 64),
        message: p.message?.slice(0, 500) ?? d.message,
        ...(preview ? { previewKey: preview.key, previewUrl: preview.url } : {}),
        // A new stage is worth a line of history; a new percentage is not.
        history:
          p.stage !== d.stage
            ? appendHistory(d.history, {
                at: new Date(this.holder.deps.now()).toISOString(),
                type: 'stage',
                message: p.message ?? p.stage,
                attempt: d.attempt,
                workerId: d.workerId,
              })
            : d.history,
      }));
      // A progress webhook when a quarter mark is passed, not on every write.
      if (Math.floor(written.progress / 25) > Math.floor(before / 25) && written.progress < 100) this.holder.deps.webhooks?.notify(written, 'progress');
    } catch (err) {
      // A lost lease is noticed by the heartbeat, which aborts the render; a failed write is retried
      // by the next report. Progress is advisory: it never fails a render.
      if (!(err instanceof LeaseLostError)) this.holder.log.debug({ err }, 'progress write failed');
    }
  }
}
