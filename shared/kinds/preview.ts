// `preview`: a quick local drawing of the concept's massing, small and without delay — fast enough
// (tens of milliseconds) to be answered inside the create request, whatever renderer is configured.
import type { JobKind } from './kind.js';
import { renderInputOf } from './kind.js';

const MAX_SIDE = 512;

export const previewKind: JobKind = {
  name: 'preview',
  inline: true,
  async run(job, _env, ctx) {
    const input = renderInputOf(job);
    const { width, height } = input.conceptInputs.view;
    const scale = Math.min(1, MAX_SIDE / Math.max(width, height));
    const view = { ...input.conceptInputs.view, width: Math.max(256, Math.round(width * scale)), height: Math.max(256, Math.round(height * scale)) };
    // Loaded here, not at the top: the create route imports every kind, and most creates draw nothing.
    // The drawing runs in a draw thread: the request that waits for it holds no other request up.
    const { AxonometricRenderer } = await import('../providers/axonometric/index.js');
    const renderer = new AxonometricRenderer({ delayMs: 0 });
    return { ...(await renderer.render({ ...input, conceptInputs: { ...input.conceptInputs, view } }, ctx)), renderer: renderer.name };
  },
};
