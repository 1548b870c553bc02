// GET /api/jobs/:jobId/events?projectId= — Server-Sent Events: the job's state each time it changes
// (`status`; `preview` when a new partial image lands; `done` with the final job), an `id` on every
// event (resume with Last-Event-ID: the current state is sent only if it differs), keep-alive
// comments, and a clean end before the function's time budget with a `retry:` hint, so that
// EventSource reconnects on its own. The stream is state, not a log: a reconnect gets the latest.
import type { StreamEventData, StreamEventName } from '../../../shared/api/contracts.js';
import { NotFoundError } from '../../../shared/errors.js';
import { pollHintMs } from '../../../shared/job/eta.js';
import { isTerminal } from '../../../shared/job/status.js';
import { type JobView, viewJob } from '../../../shared/use-cases/view-job.js';
import { callerOf } from '../../_lib/auth.js';
import { jobRefOf } from '../../_lib/input.js';
import { route } from '../../_lib/route.js';
import { limitScopeOf } from '../../_lib/caller-scope.js';
import { openStream } from '../../_lib/stream-cap.js';

/** The stream ends this long before the budget, leaving time to flush and close. */
const END_MARGIN_MS = 1_500;
/** The store is read this often per open stream while nothing is about to happen… */
const READ_EVERY_MS = 1_000;
/** …and this often in the moments a change is expected (the poll hint says so). */
const READ_FASTEST_MS = 100;
const RECONNECT_AFTER_MS = 500;

export default route('/api/jobs/[jobId]/events', {
  async GET(req, res, ctx, params) {
    const ref = jobRefOf(req, params);
    const { jobId } = ref;
    const caller = await callerOf(req, ctx);
    const first = await viewJob(ctx, caller, ref, { deliveries: false });
    // Counted until the response closes, however it ends (done, budget, client gone, error).
    res.once('close', openStream(limitScopeOf(caller), ctx.config.eventStreamsPerCaller));
    const started = ctx.queue.now();
    const endAt = started + Math.max(1_000, ctx.config.functionBudgetMs - END_MARGIN_MS);
    const keepAliveMs = Math.min(15_000, Math.max(250, (endAt - started) / 3));

    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.flushHeaders?.();
    let closed = false;
    req.on('close', () => (closed = true));
    const write = (text: string) => {
      if (!closed) res.write(text);
    };
    let lastId = typeof req.headers['last-event-id'] === 'string' ? req.headers['last-event-id'] : null;
    let lastPreview: string | null = null;
    let lastWrite = ctx.queue.now();
    let view: JobView | null = first;

    while (!closed && view) {
      const { job, outlook, pollAfterMs, version: id } = view;
      if (id !== lastId) {
        if (job.previewUrl && job.previewUrl !== lastPreview && lastId !== null) {
          write(event(`${id}.p`, 'preview', { jobId, previewUrl: job.previewUrl, progress: job.progress }));
        }
        write(event(id, isTerminal(job.status) ? 'done' : 'status', { job, queue: outlook, pollAfterMs }));
        lastPreview = job.previewUrl;
        lastId = id;
        lastWrite = ctx.queue.now();
      }
      if (isTerminal(job.status)) break;
      const now = ctx.queue.now();
      // Re-read from the latest estimate at each turn: faster only while a change is due.
      const hint = pollHintMs(job, outlook, now) ?? READ_EVERY_MS;
      const readEvery = hint >= READ_EVERY_MS ? READ_EVERY_MS : Math.max(READ_FASTEST_MS, hint / 2);
      if (now + readEvery >= endAt) {
        // Before the platform cuts us off: tell the client to come back, then end cleanly.
        write(`retry: ${RECONNECT_AFTER_MS}\n: budget reached, reconnect\n\n`);
        break;
      }
      if (now - lastWrite >= keepAliveMs) {
        write(': keep-alive\n\n');
        lastWrite = now;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(readEvery, keepAliveMs)));
      if (closed) break;
      view = await viewJob(ctx, caller, ref, { deliveries: false }).catch((err: unknown) => {
        if (err instanceof NotFoundError) return null;
        throw err;
      });
    }
    if (!view && !closed) write(event(`${lastId ?? 'gone'}.x`, 'gone', { jobId, error: { code: 'not_found', message: 'The job no longer exists.' } }));
    res.end();
  },
});

/** One event, its data shaped by the contract (shared/api/contracts.ts, StreamEvents). */
function event<E extends StreamEventName>(id: string, type: E, data: StreamEventData<E>): string {
  return `id: ${id}\nevent: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
}
