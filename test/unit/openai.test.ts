// The OpenAI renderer against the Images API stand-in: streamed previews, edits with references,
// errors classified as the job's retry policy needs them, cancel aborting the HTTP call.
import { describe, expect, it } from 'vitest';
import { CancelledError, RenderError } from '../../shared/errors.js';
import { ConceptInputs } from '../../shared/job/concept.js';
import { OpenAIRenderer } from '../../shared/providers/openai/index.js';
import { retryAfterOf } from '../../shared/providers/openai/errors.js';
import { buildPrompt, imageSizeFor } from '../../shared/providers/openai/prompt.js';
import type { RenderInput, RenderProgress } from '../../shared/providers/provider.js';
import { exampleRequest } from '../helpers/concept.js';
import { nextRequestsFail } from '../stand-ins/faults.js';
import { interceptWith } from '../stand-ins/msw.js';
import { OPENAI_KEY, OPENAI_URL, OpenAIImagesStandIn, STAND_IN_PNG } from '../stand-ins/openai-images.js';

const standIn = new OpenAIImagesStandIn();
interceptWith(standIn.handlers);

function renderer(overrides: Partial<ConstructorParameters<typeof OpenAIRenderer>[0]> = {}) {
  return new OpenAIRenderer({
    apiKey: OPENAI_KEY,
    baseUrl: OPENAI_URL,
    model: 'gpt-image-1',
    timeoutMs: 5_000,
    partialImages: 2,
    quality: 'medium',
    ...overrides,
  });
}

function input(extra: Partial<RenderInput> = {}): RenderInput {
  const req = exampleRequest();
  return { jobId: 'j', projectId: req.projectId, conceptId: 'c_1', renderType: 'axonometric', conceptInputs: req.conceptInputs, ...extra };
}

async function run(r: OpenAIRenderer, i = input(), signal = new AbortController().signal) {
  const progress: RenderProgress[] = [];
  const previews: Buffer[] = [];
  const out = await r.render(i, { signal, onProgress: (p) => progress.push(p), onPreview: (b) => previews.push(b) });
  return { out, progress, previews };
}

async function failure(r: OpenAIRenderer, i = input()): Promise<RenderError> {
  const err = await run(r, i).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(RenderError);
  return err as RenderError;
}

describe('OpenAI renderer', () => {
  it('streams partial images as previews and stores the decoded final image', async () => {
    const { out, previews, progress } = await run(renderer());
    expect(out.image.equals(STAND_IN_PNG)).toBe(true);
    expect(out).toMatchObject({ contentType: 'image/png', ext: 'png', width: 1536, height: 1024, model: 'gpt-image-1' });
    expect(previews).toHaveLength(2);
    expect(progress.map((p) => p.progress)).toEqual([...progress.map((p) => p.progress)].sort((a, b) => a - b));
    const call = standIn.calls.at(-1)!;
    expect(call).toMatchObject({ op: 'generate', fields: { model: 'gpt-image-1', size: '1536x1024', stream: true, partial_images: 2, n: 1 } });
    expect(call.fields.prompt).toBe(buildPrompt(input().conceptInputs));
  });

  it('uses images.edit with the reference images when there are some', async () => {
    const references = [1, 2, 3].map((n) => ({ name: `ref-${n}.png`, body: STAND_IN_PNG, contentType: 'image/png' }));
    const { out } = await run(renderer(), input({ references }));
    expect(out.image.equals(STAND_IN_PNG)).toBe(true);
    expect(standIn.calls.at(-1)).toMatchObject({ op: 'edit', images: 3 });
    expect(String(standIn.calls.at(-1)!.fields.prompt)).toContain('3 reference images');
  });

  it('works without streaming when no partial images are wanted', async () => {
    const { out, previews } = await run(renderer({ partialImages: 0 }));
    expect(out.image.equals(STAND_IN_PNG)).toBe(true);
    expect(previews).toEqual([]);
  });

  it('classifies a 429 as retryable, honouring Retry-After, and an empty quota as permanent', async () => {
    standIn.script.push({ kind: 'rate_limited', retryAfterS: 7 });
    const limited = await failure(renderer());
    expect(limited).toMatchObject({ code: 'openai_rate_limited', retryable: true, retryAfterMs: 7000 });
    standIn.script.push({ kind: 'quota' });
    expect(await failure(renderer())).toMatchObject({ code: 'openai_quota', retryable: false });
  });

  it('fails a moderation block at once, with a message the user can act on', async () => {
    standIn.script.push({ kind: 'moderation' });
    const err = await failure(renderer());
    expect(err).toMatchObject({ code: 'moderation_blocked', retryable: false });
    expect(err.message).toMatch(/stylePrompt/);
  });

  it('retries server errors, dropped connections, timeouts and errors inside the stream', async () => {
    standIn.script.push({ kind: 'server_error', status: 503 });
    expect(await failure(renderer())).toMatchObject({ code: 'openai_unavailable', retryable: true });
    standIn.faults = nextRequestsFail(1, { kind: 'drop' });
    expect(await failure(renderer())).toMatchObject({ code: 'openai_unreachable', retryable: true });
    standIn.faults = nextRequestsFail(1, { kind: 'slow', ms: 2_000 });
    expect(await failure(renderer({ timeoutMs: 200 }))).toMatchObject({ code: 'openai_timeout', retryable: true });
    standIn.script.push({ kind: 'stream_error' });
    expect(await failure(renderer())).toMatchObject({ code: 'openai_stream_error', retryable: true });
  });

  it('fails a wrong key and a bad request permanently, without retrying inside the SDK', async () => {
    const before = standIn.calls.length;
    expect(await failure(renderer({ apiKey: 'sk-wrong-key-0123456789' }))).toMatchObject({ code: 'openai_auth', retryable: false });
    standIn.script.push({ kind: 'invalid', message: "Invalid value: 'x'.", param: 'size' });
    expect(await failure(renderer())).toMatchObject({ code: 'openai_invalid_request', retryable: false });
    standIn.script.push({ kind: 'server_error' });
    await failure(renderer());
    // Exactly one HTTP call per failed render (the wrong key is refused before it is recorded).
    expect(standIn.calls.length - before).toBe(2);
  });

  it('aborts the HTTP call when the job is cancelled', async () => {
    standIn.latencyMs = 3_000;
    try {
      const abort = new AbortController();
      setTimeout(() => abort.abort(new CancelledError()), 100);
      const started = Date.now();
      const err = await run(renderer(), input(), abort.signal).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CancelledError);
      expect(Date.now() - started).toBeLessThan(1_000);
    } finally {
      standIn.latencyMs = 0;
    }
  });
});

describe('prompt builder', () => {
  it('describes every volume with its size, place, height, roof and material', () => {
    const concept = ConceptInputs.parse({
      site: { width: 40, depth: 30 },
      volumes: [
        { id: 'tower', footprint: { width: 10, depth: 12 }, offset: { x: 2, y: 3 }, floors: 8, material: 'brick' },
        { footprint: { width: 6, depth: 6 }, offset: { x: 20, y: 10 }, height: 4, elevation: 3, roof: { form: 'gable', pitchDeg: 35, ridge: 'y' } },
      ],
      stylePrompt: 'soft light',
    });
    const prompt = buildPrompt(concept);
    expect(prompt).toContain('40 m wide by 30 m deep');
    expect(prompt).toContain('tower: 10 × 12 m footprint at (2, 3), 8 floors (25.6 m), flat roof, brick');
    expect(prompt).toContain(
      'volume 2: 6 × 6 m footprint at (20, 10), 4 m tall, standing 3 m above the ground, gable roof pitched 35°, ridge along the depth, concrete',
    );
    expect(prompt).toMatch(/Style: soft light$/);
    expect(buildPrompt(concept)).toBe(prompt);
  });

  it('picks the nearest canvas the model supports', () => {
    expect(imageSizeFor({ azimuthDeg: 45, elevationDeg: 35, width: 1200, height: 900 })).toBe('1536x1024');
    expect(imageSizeFor({ azimuthDeg: 45, elevationDeg: 35, width: 1000, height: 1000 })).toBe('1024x1024');
    expect(imageSizeFor({ azimuthDeg: 45, elevationDeg: 35, width: 600, height: 1200 })).toBe('1024x1536');
  });

  it('reads Retry-After in seconds, milliseconds and as a date', () => {
    expect(retryAfterOf(new Headers({ 'retry-after': '3' }))).toBe(3000);
    expect(retryAfterOf(new Headers({ 'retry-after-ms': '250', 'retry-after': '3' }))).toBe(250);
    expect(retryAfterOf(new Headers({ 'retry-after': new Date(10_000).toUTCString() }), 4_000)).toBe(6000);
    expect(retryAfterOf(new Headers())).toBeNull();
  });
});
