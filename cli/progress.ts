// The progress a person watches while a render runs: a bar on a terminal, one line per change
// anywhere else (a log, CI), never a timer that outlives the wait. The time shown is the server's
// estimate (the status answer's `queue.etaFinishAt`), which knows the queue and measured render
// times; the progress library's own guess from the bar's speed does not.
import { SingleBar } from 'cli-progress';
import type { JobView } from '../client/index.js';

export interface Progress {
  update(view: JobView): void;
  stop(): void;
}

/** `| #2 in queue | ~42s left`, from the server's outlook; empty while it has none. */
export function serverEtaText(view: JobView, now = Date.now()): string {
  const q = view.queue;
  if (!q) return '';
  const parts: string[] = [];
  if (view.job.status === 'pending' && q.position) parts.push(`#${q.position} in queue`);
  if (q.etaFinishAt) parts.push(`~${duration(Math.max(0, Date.parse(q.etaFinishAt) - now))} left`);
  return parts.map((p) => `| ${p}`).join(' ');
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

export function progressReporter(stream: NodeJS.WritableStream & { isTTY?: boolean }): Progress {
  if (stream.isTTY) {
    // `{serverEta}`, not `{eta}`: the library fills `eta` with its own estimate, over any payload.
    const bar = new SingleBar({ format: '{bar} {percentage}% | {stage} {serverEta}', hideCursor: true, stream, noTTYOutput: false }, undefined);
    bar.start(100, 0, { stage: 'queued', serverEta: '' });
    return {
      update: (v) => bar.update(v.job.progress, { stage: v.job.stage ?? v.job.status, serverEta: serverEtaText(v) }),
      stop: () => bar.stop(),
    };
  }
  let last = '';
  return {
    update(v) {
      const key = `${v.job.progress}% ${v.job.stage ?? v.job.status}`;
      if (key === last) return;
      last = key;
      stream.write(`${key} ${serverEtaText(v)}`.trimEnd() + '\n');
    },
    stop() {},
  };
}
