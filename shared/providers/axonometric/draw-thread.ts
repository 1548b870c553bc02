// A draw thread's entry: takes one concept at a time from its pool and answers with the PNG.
// The stop flag is shared memory the pool sets on abort, read here between drawing steps.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { type MessagePort, isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { ConceptInputs } from '../../job/concept.js';
import { PictureStopped, drawPicture } from './picture.js';

export interface DrawTask {
  id: number;
  concept: ConceptInputs;
  /** Int32Array over a SharedArrayBuffer: [0] becomes 1 when the caller aborts. */
  stop: Int32Array;
}

export type DrawReply =
  | { id: number; ok: true; png: Uint8Array; width: number; height: number; faceCount: number; ms: number }
  | { id: number; ok: false; stopped: boolean; message: string };

/** Marks a thread started by draw-pool.ts (the module is also imported, inertly, by the pool). */
export const DRAW_THREAD = 'render-jobs-draw-thread';

if (!isMainThread && workerData === DRAW_THREAD) serve(parentPort!);

function serve(port: MessagePort): void {
  yieldToEventLoop();
  port.on('message', function drawTask(task: DrawTask) {
    const start = performance.now();
    let reply: DrawReply;
    try {
      const p = drawPicture(task.concept, () => Atomics.load(task.stop, 0) === 1);
      reply = { id: task.id, ok: true, png: p.png, width: p.width, height: p.height, faceCount: p.faceCount, ms: performance.now() - start };
    } catch (err) {
      reply = { id: task.id, ok: false, stopped: err instanceof PictureStopped, message: (err as Error)?.message ?? String(err) };
    }
    port.postMessage(reply);
  });
}

/**
 * Lowers this thread's scheduling priority (nice 10), so that when cores are short the process's
 * event loop, which renews the leases of the jobs being drawn, runs first. Linux names threads in
 * /proc/thread-self; elsewhere the thread keeps the process's priority.
 */
function yieldToEventLoop(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid !== process.pid) setPriority(tid, 10);
  } catch {
    // Not Linux, or not allowed: drawing at normal priority still leaves the loop free.
  }
}
