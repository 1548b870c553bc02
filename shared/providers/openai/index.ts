// The OpenAI renderer: gpt-image-1 family through the official SDK. `images.generate` from the
// prompt, or `images.edit` when reference images are given; streamed with partial images so the
// job shows previews while it renders. The SDK never retries on its own (maxRetries: 0): the job's
// retry policy decides, and every attempt shows in the job.
import OpenAI, { toFile } from 'openai';
import type { OpenAIConfig } from '../../config.js';
import { RenderError } from '../../errors.js';
import type { RenderContext, RenderInput, RenderOutput, RenderProvider } from '../provider.js';
import { classifyOpenAIError } from './errors.js';
import { buildPrompt, imageSizeFor } from './prompt.js';

/** Progress creeps towards 90% over this long while we wait; partial images move it too. */
const EXPECTED_MS = 40_000;

interface ImageEvent {
  type: string;
  b64_json?: string;
  output_format?: string;
  partial_image_index?: number;
}

export class OpenAIRenderer implements RenderProvider {
  readonly name = 'openai';
  private readonly client: OpenAI;

  constructor(
    private readonly cfg: OpenAIConfig,
    opts: { fetch?: typeof fetch } = {},
  ) {
    this.client = new OpenAI({
      apiKey: cfg.apiKey,
      baseURL: cfg.baseUrl,
      maxRetries: 0,
      timeout: cfg.timeoutMs,
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
    });
  }

  async render(input: RenderInput, ctx: RenderContext): Promise<RenderOutput> {
    const { signal, onProgress } = ctx;
    const references = input.references ?? [];
    const size = imageSizeFor(input.conceptInputs.view);
    const [width, height] = size.split('x').map(Number) as [number, number];
    const started = Date.now();
    let floor = 5;
    onProgress({ progress: floor, stage: 'requesting', message: `Asking ${this.cfg.model} for a ${size} image.` });
    const creep = setInterval(() => {
      const share = 1 - Math.exp(-(Date.now() - started) / EXPECTED_MS);
      const progress = Math.max(floor, Math.round(10 + 80 * share));
      onProgress({ progress, stage: 'rendering', message: `Rendering with ${this.cfg.model} (${Math.round((Date.now() - started) / 1000)} s).` });
    }, 1_000);
    try {
      const events = await this.call(input, references, size, signal);
      let final: ImageEvent | undefined;
      for await (const event of events) {
        if (event.type.endsWith('.partial_image') && event.b64_json) {
          const index = (event.partial_image_index ?? 0) + 1;
          floor = Math.max(floor, Math.round(20 + (60 * index) / Math.max(1, this.cfg.partialImages)));
          ctx.onPreview?.(Buffer.from(event.b64_json, 'base64'), `image/${event.output_format ?? 'png'}`);
          onProgress({ progress: floor, stage: 'rendering', message: `Preview ${index} of ${this.cfg.partialImages}.` });
        } else if (event.type.endsWith('.completed') || event.type === 'result') {
          final = event;
        }
      }
      if (!final?.b64_json) {
        throw new RenderError('openai_incomplete', 'OpenAI ended the render without an image.', { retryable: true });
      }
      const format = final.output_format ?? 'png';
      return {
        image: Buffer.from(final.b64_json, 'base64'),
        contentType: `image/${format}`,
        ext: format === 'jpeg' ? 'jpg' : format,
        width,
        height,
        model: this.cfg.model,
      };
    } catch (err) {
      throw classifyOpenAIError(err, signal);
    } finally {
      clearInterval(creep);
    }
  }

  /** The image events of one call: streamed when partial images are wanted, else one result. */
  private async call(
    input: RenderInput,
    references: NonNullable<RenderInput['references']>,
    size: string,
    signal: AbortSignal,
  ): Promise<AsyncIterable<ImageEvent>> {
    const prompt = buildPrompt(input.conceptInputs, { references: references.length });
    const common = { model: this.cfg.model, prompt, size: size as '1024x1024', quality: this.cfg.quality, n: 1 } as const;
    const stream = this.cfg.partialImages > 0;
    const streaming = stream ? { stream: true as const, partial_images: this.cfg.partialImages } : {};
    const options = { signal, timeout: this.cfg.timeoutMs };
    if (references.length > 0) {
      const image = await Promise.all(references.map((r) => toFile(r.body, r.name, { type: r.contentType })));
      const res = await this.client.images.edit({ ...common, image, ...streaming }, options);
      return stream ? (res as AsyncIterable<ImageEvent>) : single(res as OpenAI.ImagesResponse);
    }
    const res = await this.client.images.generate({ ...common, ...streaming }, options);
    return stream ? (res as AsyncIterable<ImageEvent>) : single(res as OpenAI.ImagesResponse);
  }
}

async function* single(res: OpenAI.ImagesResponse): AsyncIterable<ImageEvent> {
  const b64 = res.data?.[0]?.b64_json;
  if (b64) yield { type: 'result', b64_json: b64, output_format: res.output_format ?? 'png' };
}
