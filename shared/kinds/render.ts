// `render`: the concept drawn by the configured renderer (OpenAI images.generate, or the local one).
import { CREDITS } from './credits.js';
import type { JobKind } from './kind.js';
import { expectedMsOf } from './durations.js';
import { renderInputOf } from './kind.js';

export const renderKind: JobKind = {
  name: 'render',
  inline: false,
  credits: CREDITS.render,
  expectedMs: (renderer) => expectedMsOf('render', renderer),
  async run(job, env, ctx) {
    const provider = await env.provider();
    return { ...(await provider.render(renderInputOf(job), ctx)), renderer: provider.name };
  },
};
