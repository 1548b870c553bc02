// Picks the renderer the config names.
import type { Config } from '../config.js';
import { AxonometricRenderer } from './axonometric/index.js';
import type { RenderProvider } from './provider.js';
import { StubRenderer } from './stub.js';

export function selectProvider(config: Pick<Config, 'renderer'>): RenderProvider {
  switch (config.renderer.kind) {
    case 'axonometric':
      return new AxonometricRenderer({ delayMs: config.renderer.delayMs });
    case 'stub':
      return new StubRenderer({ delayMs: config.renderer.delayMs });
  }
}
