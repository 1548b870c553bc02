// `edit`: the concept rendered in the manner of uploaded reference images (OpenAI images.edit).
// References are read from the store here, on the worker: they never pass through a function.
import { RenderError } from '../errors.js';
import { keys } from '../store/keys.js';
import { sniffImageType, extensionOf } from '../uploads/sniff.js';
import type { JobKind } from './kind.js';
import { renderInputOf } from './kind.js';

export const editKind: JobKind = {
  name: 'edit',
  inline: false,
  async run(job, env, ctx) {
    ctx.onProgress({ progress: 2, stage: 'reading', message: `Reading ${job.references.length} reference image(s).` });
    const references = await Promise.all(
      job.references.map(async (uploadId) => {
        const object = await env.store.get(keys.upload(job.projectId, uploadId));
        // Uploads can be pruned or replaced while a job waits: say which one, and do not retry.
        if (!object) throw new RenderError('upload_missing', `Reference image ${uploadId} is gone from storage; upload it again.`, { retryable: false });
        const type = sniffImageType(object.body);
        if (!type) throw new RenderError('upload_not_image', `Reference image ${uploadId} is not a PNG, JPEG or WebP image.`, { retryable: false });
        return { name: `${uploadId}.${extensionOf(type)}`, body: object.body, contentType: type };
      }),
    );
    ctx.signal.throwIfAborted();
    const provider = await env.provider();
    return { ...(await provider.render({ ...renderInputOf(job), references }, ctx)), renderer: provider.name };
  },
};
