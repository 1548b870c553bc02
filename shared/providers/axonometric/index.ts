// The local renderer: a deterministic axonometric drawing of the concept's massing, as PNG.
// It needs no key and no network, so the whole pipeline runs offline; RENDER_DELAY_MS stretches it
// to the length of a real AI render so progress, cancel and crash recovery can be exercised.
import { setTimeout as sleep } from 'node:timers/promises';
import { Resvg } from '@resvg/resvg-js';
import type { RenderContext, RenderInput, RenderOutput, RenderProvider } from '../provider.js';
import { drawConcept } from './draw.js';

/** Progress reported at most this often while the artificial delay runs. */
const TICK_MS = 200;

export class AxonometricRenderer implements RenderProvider {
  readonly name = 'axonometric';
  constructor(private readonly opts: { delayMs: number }) {}

  async render(input: RenderInput, ctx: RenderContext): Promise<RenderOutput> {
    const { signal, onProgress } = ctx;
    const wait = (share: number, from: number, to: number, stage: string) =>
      spend(this.opts.delayMs * share, { from, to, stage, signal, onProgress });

    onProgress({ progress: 5, stage: 'preparing', message: 'Reading the concept.' });
    await wait(0.2, 5, 25, 'preparing');
    onProgress({ progress: 25, stage: 'massing', message: `Building ${input.conceptInputs.volumes.length} volumes.` });
    const drawing = drawConcept(input.conceptInputs);
    await wait(0.5, 25, 75, 'drawing');
    signal.throwIfAborted();
    onProgress({ progress: 75, stage: 'rasterizing', message: `Rasterizing ${drawing.faceCount} faces.` });
    const png = new Resvg(drawing.svg, { fitTo: { mode: 'original' }, font: { loadSystemFonts: false } }).render().asPng();
    await wait(0.3, 75, 95, 'rasterizing');
    signal.throwIfAborted();
    return { image: Buffer.from(png), contentType: 'image/png', ext: 'png', width: drawing.width, height: drawing.height, model: 'axonometric-svg-1' };
  }
}

async function spend(
  ms: number,
  o: { from: number; to: number; stage: string; signal: AbortSignal; onProgress: RenderContext['onProgress'] },
): Promise<void> {
  if (ms <= 0) return;
  const start = Date.now();
  for (let elapsed = 0; elapsed < ms; elapsed = Date.now() - start) {
    await sleep(Math.min(TICK_MS, ms - elapsed), undefined, { signal: o.signal });
    const done = Math.min(1, (Date.now() - start) / ms);
    o.onProgress({ progress: Math.round(o.from + (o.to - o.from) * done), stage: o.stage });
  }
}
