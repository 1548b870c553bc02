// A few threads that draw and rasterise, so the event loop that renews leases, answers /healthz and
// serves API requests never waits for a picture. Why threads and not resvg's own `renderAsync`:
// renderAsync runs on libuv's pool of four threads, which every fs call and DNS lookup also needs
// (four renders in flight starve the fs store's lease writes), and it leaves the SVG building and
// the PNG encoding (up to 0.4 s at 2048 px) on the main thread. Figures: bench/render.ts.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ConceptInputs } from '../../job/concept.js';
// Imported for its value too, not only its types: bundlers (Vercel's file tracing, esbuild) then ship
// the thread's module beside this one. In the main thread it does nothing.
import { DRAW_THREAD, type DrawReply, type DrawTask } from './draw-thread.js';
import type { Picture } from './picture.js';

export interface DrawnPicture extends Picture {
  /** Time the thread spent on it, queueing excluded. */
  ms: number;
}

interface Pending {
  task: DrawTask;
  settle: (err: unknown, value?: DrawnPicture) => void;
}

interface Slot {
  thread: Worker;
  running: Pending | null;
}

/** One core is left to the event loop; the drawing threads share the rest (at least one). */
export function defaultDrawThreads(): number {
  return Math.max(1, availableParallelism() - 1);
}

export class DrawPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;

  constructor(readonly size: number = defaultDrawThreads()) {}

  /** Draws in a thread. On abort the promise rejects at once; a queued drawing never starts, a
   * running one stops at its next step (drawn → rasterised → encoded) and frees its thread then. */
  draw(concept: ConceptInputs, signal?: AbortSignal): Promise<DrawnPicture> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<DrawnPicture>((resolve, reject) => {
      const stop = new Int32Array(new SharedArrayBuffer(4));
      const onAbort = () => {
        Atomics.store(stop, 0, 1);
        const queued = this.queue.indexOf(pending);
        if (queued >= 0) this.queue.splice(queued, 1);
        pending.settle(signal!.reason);
      };
      let settled = false;
      const pending: Pending = {
        task: { id: this.nextId++, concept, stop },
        settle: (err, value) => {
          if (settled) return;
          settled = true;
          signal?.removeEventListener('abort', onAbort);
          if (err === undefined) resolve(value!);
          else reject(err);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(pending);
      this.pump();
    });
  }

  /** Threads drawing (an aborted drawing holds its thread until its current step ends). */
  get busy(): number {
    return this.slots.filter((s) => s.running).length;
  }

  /** Drawings waiting for a thread. */
  get waiting(): number {
    return this.queue.length;
  }

  async close(): Promise<void> {
    const slots = this.slots.splice(0);
    await Promise.all(slots.map((s) => s.thread.terminate()));
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let slot: Slot | null;
      try {
        slot = this.slots.find((s) => !s.running) ?? (this.slots.length < this.size ? this.spawn() : null);
      } catch (err) {
        this.queue.shift()!.settle(err);
        continue;
      }
      if (!slot) return;
      const next = this.queue.shift()!;
      slot.running = next;
      // A busy thread keeps the process alive like any pending I/O; an idle one does not.
      slot.thread.ref();
      slot.thread.postMessage(next.task);
    }
  }

  private spawn(): Slot {
    const slot: Slot = { thread: startThread(), running: null };
    this.slots.push(slot);
    slot.thread.on('message', (reply: DrawReply) => {
      const done = slot.running;
      slot.running = null;
      slot.thread.unref();
      if (done && done.task.id === reply.id) {
        if (reply.ok)
          done.settle(undefined, {
            png: Buffer.from(reply.png.buffer, reply.png.byteOffset, reply.png.byteLength),
            width: reply.width,
            height: reply.height,
            faceCount: reply.faceCount,
            ms: reply.ms,
          });
        else done.settle(new Error(`drawing failed: ${reply.message}`));
      }
      this.pump();
    });
    // A thread that dies (out of memory, a bug in a native module) takes only its own drawing with it.
    const lost = (err: unknown) => {
      const i = this.slots.indexOf(slot);
      if (i < 0) return;
      this.slots.splice(i, 1);
      slot.running?.settle(err instanceof Error ? err : new Error(`draw thread exited (${String(err)})`));
      slot.running = null;
      this.pump();
    };
    slot.thread.on('error', lost);
    slot.thread.on('exit', (code) => lost(code));
    slot.thread.unref();
    return slot;
  }
}

let shared: DrawPool | null = null;

/** The process's pool, started on first use (threads start lazily too). */
export function sharedDrawPool(): DrawPool {
  shared ??= new DrawPool();
  return shared;
}

/**
 * The thread's entry sits beside this module: `.ts` when run from source (tsx, vitest), `.js` when
 * compiled by tsc, `.mjs` when bundled by esbuild (scripts/processes.ts bundles it beside the worker).
 */
function startThread(): Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    // Node 20 loads a worker's entry before `--import tsx` hooks apply: register them first.
    const entry = new URL('./draw-thread.ts', here).href;
    return new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); })`, {
      eval: true,
      workerData: DRAW_THREAD,
    });
  }
  const candidates = [new URL('./draw-thread.js', here), new URL('./draw-thread.mjs', here)];
  const entry = candidates.find((u) => existsSync(u));
  if (!entry) throw new Error(`draw thread entry not found beside ${here}`);
  return new Worker(entry, { workerData: DRAW_THREAD });
}
