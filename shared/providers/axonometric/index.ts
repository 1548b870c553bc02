// The local renderer: a deterministic axonometric drawing of the concept's massing, as PNG.
// It needs no key and no network, so the whole pipeline runs offline; RENDER_DELAY_MS stretches it
// to the length of a real AI render so progress, cancel and crash recovery can be exercised.
// The drawing itself happens in a draw thread (draw-pool.ts), never on the event loop.
import { setTimeout as sleep } from 'node:timers/promises';
import { drawingLimitIssues } from '../../job/concept.js';
import { RenderError } from '../../errors.js';
import type { RenderContext, RenderInput, RenderOutput, RenderProvider } from '../provider.js';
import { type DrawPool, sharedDrawPool } from './draw-pool.js';

/** Progress reported at most this often while the artificial delay runs. */
const TICK_MS = 200;

export class AxonometricRenderer implements RenderProvider {
  readonly name = 'axonometric';
  private readonly pool: DrawPool;
  constructor(private readonly opts: { delayMs: number; pool?: DrawPool }) {
    this.pool = opts.pool ?? sharedDrawPool();
  }

  async render(input: RenderInput, ctx: RenderContext): Promise<RenderOutput> {
    const { signal, onProgress } = ctx;
    const c = input.conceptInputs;
    // Requests are refused at the edge; this catches jobs queued before a limit was lowered.
    const tooMuch = drawingLimitIssues(c);
    if (tooMuch.length)
      throw new RenderError('drawing_too_complex', `The concept is too detailed to draw: ${tooMuch.map((i) => i.message).join('; ')}`, { retryable: false });
    const wait = (share: number, from: number, to: number, stage: string) => spend(this.opts.delayMs * share, { from, to, stage, signal, onProgress });

    onProgress({ progress: 5, stage: 'preparing', message: 'Reading the concept.' });
    await wait(0.2, 5, 25, 'preparing');
    onProgress({ progress: 25, stage: 'massing', message: `Building ${c.volumes.length} volumes.` });
    await wait(0.5, 25, 75, 'drawing');
    signal.throwIfAborted();
    onProgress({ progress: 75, stage: 'rasterizing', message: `Drawing and rasterizing ${c.volumes.length} volumes.` });
    const picture = await this.pool.draw(c, signal);
    await wait(0.3, 75, 95, 'rasterizing');
    signal.throwIfAborted();
    return { image: picture.png, contentType: 'image/png', ext: 'png', width: picture.width, height: picture.height, model: 'axonometric-svg-1' };
  }
}

async function spend(ms: number, o: { from: number; to: number; stage: string; signal: AbortSignal; onProgress: RenderContext['onProgress'] }): Promise<void> {
  if (ms <= 0) return;
  const start = Date.now();
  for (let elapsed = 0; elapsed < ms; elapsed = Date.now() - start) {
    await sleep(Math.min(TICK_MS, ms - elapsed), undefined, { signal: o.signal });
    const done = Math.min(1, (Date.now() - start) / ms);
    o.onProgress({ progress: Math.round(o.from + (o.to - o.from) * done), stage: o.stage });
  }
}
