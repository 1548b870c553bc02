// OpenAI's Images API, stood in for at the HTTP level: /v1/images/generations and /v1/images/edits,
// answering as the real API does — JSON or a Server-Sent Events stream of partial images then the
// completed image, the real error bodies (rate limits with their headers, moderation, auth, quota,
// server errors) and faults on demand. Scripted answers are used first, in order.
import { randomUUID } from 'node:crypto';
import { delay, http, HttpResponse, type HttpHandler } from 'msw';
import { type FaultPlan, withFault } from './faults.js';

export const OPENAI_KEY = 'sk-stand-in-0123456789abcdef';
export const OPENAI_URL = 'https://api.openai.test/v1';

/** A real 8×8 PNG: what the stand-in "renders". */
export const STAND_IN_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAYAAADED76LAAAAEklEQVR4nGM8EGH1nwEPGCEKAJVWEpHbv0V2AAAAAElFTkSuQmCC', 'base64');

export type ScriptedAnswer =
  | { kind: 'rate_limited'; retryAfterS?: number }
  | { kind: 'quota' }
  | { kind: 'moderation' }
  | { kind: 'server_error'; status?: number }
  | { kind: 'invalid'; message: string; param: string }
  | { kind: 'stream_error' };

export interface ImageCall {
  op: 'generate' | 'edit';
  fields: Record<string, unknown>;
  /** For edits: how many image files were sent. */
  images: number;
}

export class OpenAIImagesStandIn {
  readonly calls: ImageCall[] = [];
  readonly script: ScriptedAnswer[] = [];
  /** Time to the first byte, and between streamed events. */
  latencyMs = 0;
  eventGapMs = 0;
  faults: FaultPlan | undefined;

  constructor(readonly baseUrl = OPENAI_URL) {}

  get handlers(): HttpHandler[] {
    return [
      http.post(`${this.baseUrl}/images/generations`, ({ request }) => this.handle('generate', request)),
      http.post(`${this.baseUrl}/images/edits`, ({ request }) => this.handle('edit', request)),
      http.get(`${this.baseUrl}/models/:model`, ({ request, params }) => this.model(request, String(params.model))),
    ];
  }

  /** Models this account may use. */
  models = ['gpt-image-1', 'gpt-image-1-mini'];

  private model(request: Request, model: string): Response {
    if (request.headers.get('authorization') !== `Bearer ${OPENAI_KEY}`) {
      return apiError(
        401,
        'Incorrect API key provided: sk-***. You can find your API key at https://platform.openai.com/account/api-keys.',
        'invalid_request_error',
        'invalid_api_key',
      );
    }
    if (!this.models.includes(model)) {
      return apiError(404, `The model '${model}' does not exist or you do not have access to it.`, 'invalid_request_error', 'model_not_found');
    }
    return HttpResponse.json({ id: model, object: 'model', created: 1745000000, owned_by: 'system' });
  }

  private async handle(op: 'generate' | 'edit', request: Request): Promise<Response> {
    if (request.headers.get('authorization') !== `Bearer ${OPENAI_KEY}`) {
      return apiError(
        401,
        'Incorrect API key provided: sk-***. You can find your API key at https://platform.openai.com/account/api-keys.',
        'invalid_request_error',
        'invalid_api_key',
      );
    }
    const { fields, images } = await readBody(op, request);
    this.calls.push({ op, fields, images });
    if (this.latencyMs > 0) await delay(this.latencyMs);
    return withFault(
      this.faults?.(op),
      () => this.answer(op, fields),
      (status) => apiError(status, 'The server had an error while processing your request. Sorry about that!', 'server_error', null),
    );
  }

  private answer(op: 'generate' | 'edit', fields: Record<string, unknown>): Response {
    const scripted = this.script.shift();
    if (scripted && scripted.kind !== 'stream_error') return scriptedError(scripted);
    if (op === 'edit' && !fields.prompt)
      return apiError(400, "Missing required parameter: 'prompt'.", 'invalid_request_error', 'missing_required_parameter', 'prompt');
    const size = String(fields.size ?? '1024x1024');
    if (!['1024x1024', '1536x1024', '1024x1536', 'auto'].includes(size)) {
      return apiError(
        400,
        `Invalid value: '${size}'. Supported values are: '1024x1024', '1024x1536', '1536x1024', and 'auto'.`,
        'invalid_request_error',
        'invalid_value',
        'size',
      );
    }
    const meta = { background: 'opaque', output_format: 'png', quality: String(fields.quality ?? 'auto'), size };
    const usage = { input_tokens: 120, output_tokens: 1056, total_tokens: 1176, input_tokens_details: { image_tokens: 0, text_tokens: 120 } };
    const headers = { 'x-request-id': `req_${randomUUID().replace(/-/g, '')}`, 'openai-processing-ms': '1234' };
    if (fields.stream !== true && fields.stream !== 'true') {
      return HttpResponse.json({ created: Math.floor(Date.now() / 1000), data: [{ b64_json: STAND_IN_PNG.toString('base64') }], ...meta, usage }, { headers });
    }
    const prefix = op === 'edit' ? 'image_edit' : 'image_generation';
    const partials = Number(fields.partial_images ?? 0);
    const gap = this.eventGapMs;
    const failMidway = scripted?.kind === 'stream_error';
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        const send = (event: string, data: object) => controller.enqueue(encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
        const created_at = Math.floor(Date.now() / 1000);
        for (let i = 0; i < partials; i++) {
          if (gap > 0) await delay(gap);
          send(`${prefix}.partial_image`, {
            type: `${prefix}.partial_image`,
            b64_json: STAND_IN_PNG.toString('base64'),
            created_at,
            partial_image_index: i,
            ...meta,
          });
        }
        if (gap > 0) await delay(gap);
        if (failMidway) {
          send('error', {
            type: 'error',
            error: { type: 'server_error', code: 'server_error', message: 'The server had an error while processing your request.', param: null },
          });
        } else {
          send(`${prefix}.completed`, { type: `${prefix}.completed`, b64_json: STAND_IN_PNG.toString('base64'), created_at, ...meta, usage });
        }
        controller.close();
      },
    });
    return new HttpResponse(body, { headers: { ...headers, 'content-type': 'text/event-stream; charset=utf-8' } });
  }
}

function apiError(
  status: number,
  message: string,
  type: string,
  code: string | null,
  param: string | null = null,
  headers: Record<string, string> = {},
): Response {
  return HttpResponse.json(
    { error: { message, type, param, code } },
    { status, headers: { 'x-request-id': `req_${randomUUID().replace(/-/g, '')}`, ...headers } },
  );
}

function scriptedError(a: Exclude<ScriptedAnswer, { kind: 'stream_error' }>): Response {
  switch (a.kind) {
    case 'rate_limited':
      return apiError(
        429,
        'Rate limit reached for gpt-image-1 in organization org-standin on images per minute (IPM): Limit 5, Used 5, Requested 1. Please try again in 12s.',
        'requests',
        'rate_limit_exceeded',
        null,
        {
          'retry-after': String(a.retryAfterS ?? 12),
          'x-ratelimit-limit-requests': '5',
          'x-ratelimit-remaining-requests': '0',
          'x-ratelimit-reset-requests': `${a.retryAfterS ?? 12}s`,
        },
      );
    case 'quota':
      return apiError(429, 'You exceeded your current quota, please check your plan and billing details.', 'insufficient_quota', 'insufficient_quota');
    case 'moderation':
      return apiError(
        400,
        'Your request was rejected as a result of our safety system. Your request may contain content that is not allowed by our safety system.',
        'image_generation_user_error',
        'moderation_blocked',
      );
    case 'server_error':
      return apiError(a.status ?? 500, 'The server had an error while processing your request. Sorry about that!', 'server_error', null);
    case 'invalid':
      return apiError(400, a.message, 'invalid_request_error', 'invalid_value', a.param);
  }
}

async function readBody(op: 'generate' | 'edit', request: Request): Promise<{ fields: Record<string, unknown>; images: number }> {
  if (op === 'generate') return { fields: (await request.json()) as Record<string, unknown>, images: 0 };
  const form = await request.formData();
  const fields: Record<string, unknown> = {};
  let images = 0;
  for (const [name, value] of form.entries()) {
    if (name === 'image' || name === 'image[]') images += 1;
    else fields[name] = value;
  }
  return { fields, images };
}
