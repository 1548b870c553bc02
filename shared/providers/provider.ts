// What a renderer is: concept inputs in, an image out, progress reported on the way, abortable.
import type { ConceptInputs } from '../job/concept.js';

export interface RenderInput {
  jobId: string;
  projectId: string;
  conceptId: string;
  renderType: string;
  conceptInputs: ConceptInputs;
  /** Reference images (the `edit` kind), read from the store before the render starts. */
  references?: ReferenceImage[];
}

export interface ReferenceImage {
  name: string;
  body: Buffer;
  contentType: string;
}

export interface RenderProgress {
  /** 0–100 */
  progress: number;
  stage: string;
  message?: string;
}

export interface RenderContext {
  /** Aborted on cancel, lost lease or shutdown; a provider must stop promptly and reject. */
  signal: AbortSignal;
  onProgress: (p: RenderProgress) => void;
  /** A partial image while the render runs (OpenAI streams them); the runner stores the latest. */
  onPreview?: (image: Buffer, contentType: string) => void;
}

export interface RenderOutput {
  image: Buffer;
  contentType: string;
  /** File extension for the stored result. */
  ext: string;
  width: number;
  height: number;
  model: string;
}

export interface RenderProvider {
  readonly name: string;
  render(input: RenderInput, ctx: RenderContext): Promise<RenderOutput>;
}
