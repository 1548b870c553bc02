export { type RenderJobState, useRenderJob } from './use-render-job.js';
