// Renderers for queue tests: real implementations of the provider interface with scripted behaviour.
import { setTimeout as sleep } from 'node:timers/promises';
import { RenderError } from '../../shared/errors.js';
import type { RenderContext, RenderInput, RenderOutput, RenderProvider } from '../../shared/providers/provider.js';

const PNG_1x1 = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360f8cfc0f01f0005000201a5f0b2b10000000049454e44ae426082', 'hex');

/** Renders after `ms`, honouring the abort signal; counts calls and aborts. */
export class TimedProvider implements RenderProvider {
  readonly name = 'timed';
  calls = 0;
  aborts = 0;
  constructor(private readonly ms: number) {}
  async render(_input: RenderInput, ctx: RenderContext): Promise<RenderOutput> {
    this.calls++;
    ctx.onProgress({ progress: 10, stage: 'working' });
    try {
      await sleep(this.ms, undefined, { signal: ctx.signal });
    } catch (err) {
      this.aborts++;
      throw err;
    }
    ctx.onProgress({ progress: 90, stage: 'working' });
    return { image: PNG_1x1, contentType: 'image/png', ext: 'png', width: 1, height: 1, model: 'timed' };
  }
}

/** Fails every call with the given error. */
export class FailingProvider implements RenderProvider {
  readonly name = 'failing';
  calls = 0;
  constructor(private readonly make: () => Error) {}
  async render(): Promise<RenderOutput> {
    this.calls++;
    throw this.make();
  }
}

export const retryable = () => new RenderError('upstream_unavailable', 'The renderer is overloaded.', { retryable: true });
export const permanent = () => new RenderError('invalid_prompt', 'The concept cannot be rendered as given.', { retryable: false });
