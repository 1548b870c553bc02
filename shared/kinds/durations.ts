// How long each kind of job usually takes with each renderer, before the workers have measured any.
// Apart from the kinds themselves so that status answers can use it without loading any handler.
import type { JobKindName } from '../job/request.js';

/** Typical render time of each renderer. */
export function typicalRenderMs(rendererName: string): number {
  return rendererName === 'openai' ? 45_000 : 3_000;
}

export function expectedMsOf(kind: JobKindName, rendererName: string): number {
  switch (kind) {
    case 'render':
      return typicalRenderMs(rendererName);
    case 'edit':
      return typicalRenderMs(rendererName) * 1.3;
    case 'preview':
      return 200;
  }
}
