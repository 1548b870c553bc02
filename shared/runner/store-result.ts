// Storing a finished render: the image under the job's one result key (the same on every attempt,
// so a retried or taken-over job still ends with exactly one result), its description, its URL.
import type { JobResult } from '../job/document.js';
import { imageLink, type ImageLink } from '../job/image-url.js';
import type { KindOutput } from '../kinds/kind.js';
import { keys } from '../store/keys.js';
import type { ObjectStore } from '../store/object-store.js';

export async function storeResult(
  store: ObjectStore,
  ref: { projectId: string; jobId: string },
  out: KindOutput,
  opts: { timings: JobResult['timings']; ttlS: number },
): Promise<{ result: JobResult; link: ImageLink }> {
  const key = keys.result(ref.projectId, ref.jobId, out.ext);
  await store.put(key, out.image, { contentType: out.contentType });
  const result: JobResult = {
    key,
    contentType: out.contentType,
    bytes: out.image.length,
    width: out.width,
    height: out.height,
    renderer: out.renderer,
    model: out.model,
    timings: opts.timings,
  };
  return { result, link: await imageLink(store, ref, key, { ttlS: opts.ttlS }) };
}
