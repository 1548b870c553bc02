// Renderers for queue tests: real implementations of the provider interface with scripted behaviour.
import { RenderError } from '../../shared/errors.js';
import { StubRenderer } from '../../shared/providers/stub.js';
import type { RenderContext, RenderInput, RenderOutput, RenderProvider } from '../../shared/providers/provider.js';

/** The stub renderer, counting calls and aborts. */
export class TimedProvider implements RenderProvider {
  readonly name = 'timed';
  calls = 0;
  aborts = 0;
  private readonly inner: StubRenderer;
  constructor(ms: number) {
    this.inner = new StubRenderer({ delayMs: ms });
  }
  async render(input: RenderInput, ctx: RenderContext): Promise<RenderOutput> {
    this.calls++;
    ctx.onProgress({ progress: 10, stage: 'working' });
    try {
      return await this.inner.render(input, ctx);
    } catch (err) {
      if (ctx.signal.aborted) this.aborts++;
      throw err;
    }
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
