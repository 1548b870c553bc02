// A renderer that waits RENDER_DELAY_MS and returns a fixed 1×1 PNG: for benchmarks that measure
// the job system itself (no-op and fixed-latency renders), never for users' images.
import { setTimeout as sleep } from 'node:timers/promises';
import type { RenderContext, RenderOutput, RenderProvider } from './provider.js';

const PNG_1x1 = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360f8cfc0f01f0005000201a5f0b2b10000000049454e44ae426082',
  'hex',
);

export class StubRenderer implements RenderProvider {
  readonly name = 'stub';
  constructor(private readonly opts: { delayMs: number }) {}

  async render(_input: unknown, ctx: RenderContext): Promise<RenderOutput> {
    if (this.opts.delayMs > 0) await sleep(this.opts.delayMs, undefined, { signal: ctx.signal });
    ctx.signal.throwIfAborted();
    return { image: PNG_1x1, contentType: 'image/png', ext: 'png', width: 1, height: 1, model: 'stub' };
  }
}
