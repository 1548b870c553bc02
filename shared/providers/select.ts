// Picks the renderer the config names (RENDERER=auto: OpenAI when a key is set, else the local one).
import type { Config } from '../config.js';
import { AxonometricRenderer } from './axonometric/index.js';
import { OpenAIRenderer } from './openai/index.js';
import type { RenderProvider } from './provider.js';
import { StubRenderer } from './stub.js';

export function selectProvider(config: Pick<Config, 'renderer'>, opts: { fetch?: typeof fetch } = {}): RenderProvider {
  const r = config.renderer;
  switch (r.kind) {
    case 'openai':
      if (!r.openai) throw new Error('RENDERER=openai without OPENAI_API_KEY (loadConfig refuses this)');
      return new OpenAIRenderer(r.openai, opts);
    case 'axonometric':
      return new AxonometricRenderer({ delayMs: r.delayMs });
    case 'stub':
      return new StubRenderer({ delayMs: r.delayMs });
  }
}
