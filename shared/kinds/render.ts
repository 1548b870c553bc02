// `render`: the concept drawn by the configured renderer (OpenAI images.generate, or the local one).
import type { JobKind } from './kind.js';
import { renderInputOf } from './kind.js';

export const renderKind: JobKind = {
  name: 'render',
  inline: false,
  async run(job, env, ctx) {
    const provider = await env.provider();
    return { ...(await provider.render(renderInputOf(job), ctx)), renderer: provider.name };
  },
};
