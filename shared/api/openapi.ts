// The OpenAPI 3.1 document, generated from the zod contracts (zod 4's JSON Schema output), so the
// published description is the validation the code runs. Tests check real answers against it.
import { z } from 'zod';
import { HTTP_ERROR_CODES } from './error-codes.js';
import {
  CancelResponse,
  CreatedResponse,
  ErrorBody,
  JobStatusResponse,
  ListResponse,
  MetricsResponse,
  ProcessResponse,
  PruneResponse,
  RenderRequest,
  StreamEvents,
  UploadsRequest,
  UploadsResponse,
} from './contracts.js';

const schema = (s: z.ZodType, io: 'input' | 'output') => z.toJSONSchema(s, { io, unrepresentable: 'any', target: 'draft-2020-12' });
const json = (s: z.ZodType) => ({ content: { 'application/json': { schema: schema(s, 'output') } } });
const error = (description: string) => ({ description, ...json(ErrorBody) });
const projectId = { name: 'projectId', in: 'query', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_-]*$', maxLength: 64 } };
// POST routes also take it from a JSON body `{projectId, …}` (the job pattern's clients send it there).
const projectIdQueryOrBody = { ...projectId, required: false, description: 'or `projectId` in a JSON body; the same value if both' };
const projectBody = { required: false, content: { 'application/json': { schema: { type: 'object', properties: { projectId: projectId.schema } } } } };
const jobId = { name: 'jobId', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_-]*$', maxLength: 64 } };
const bearer = [{ bearer: [] }];

export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'render-jobs',
      version: '1',
      description: 'Create a render job in milliseconds; a worker renders it; poll or stream until the image is there.',
    },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    // Every `error.code` an answer may carry, with its status, whether a retry can help, and why.
    'x-error-codes': HTTP_ERROR_CODES,
    paths: {
      '/api/jobs/render': {
        post: {
          summary: 'Create a job',
          description: 'With API_KEY or Supabase Auth configured, send Authorization: Bearer <API key | access token>; a user owns the jobs they create.',
          parameters: [{ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', minLength: 1, maxLength: 255 } }],
          requestBody: { required: true, content: { 'application/json': { schema: schema(RenderRequest, 'input') } } },
          responses: {
            '202': { description: 'Queued', ...json(CreatedResponse) },
            '200': { description: 'An earlier request with this Idempotency-Key made the job (Idempotent-Replayed: true)', ...json(CreatedResponse) },
            '201': { description: 'Finished inline (preview)', ...json(CreatedResponse) },
            '400': error('Invalid request'),
            '401': error('Missing or invalid credentials'),
            '409': error('A request with this Idempotency-Key is still being processed'),
            '413': error('Too large'),
            '415': error('Not JSON'),
            '422': error('Idempotency-Key reused for a different request'),
            '429': error('Too many creates (Retry-After)'),
          },
        },
      },
      '/api/jobs': {
        get: {
          summary: "A project's jobs, newest first",
          parameters: [
            projectId,
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100 } },
            { name: 'cursor', in: 'query', schema: { type: 'string' } },
          ],
          responses: { '200': { description: 'A page', ...json(ListResponse) }, '400': error('Invalid query') },
        },
      },
      '/api/jobs/{jobId}': {
        get: {
          summary: 'Status, queue position and ETA',
          parameters: [jobId, projectId],
          responses: {
            '200': {
              description: 'The job',
              headers: { ETag: { schema: { type: 'string' } }, 'x-poll-after-ms': { schema: { type: 'integer' } } },
              ...json(JobStatusResponse),
            },
            '304': { description: 'Unchanged' },
            '404': error('No such job'),
          },
        },
      },
      '/api/jobs/{jobId}/events': {
        get: {
          summary: 'Server-Sent Events: status, preview, done; ends before the function budget with a retry hint',
          parameters: [jobId, projectId, { name: 'Last-Event-ID', in: 'header', schema: { type: 'string' } }],
          responses: {
            '200': { description: 'An event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } },
            '404': error('No such job'),
          },
          // Each event's `data:` by its `event:` name (OpenAPI has no vocabulary for SSE payloads).
          'x-events': Object.fromEntries(Object.entries(StreamEvents).map(([name, s]) => [name, schema(s, 'output')])),
        },
      },
      '/api/jobs/{jobId}/cancel': {
        post: {
          summary: 'Cancel',
          parameters: [jobId, projectIdQueryOrBody],
          requestBody: projectBody,
          responses: { '200': { description: 'The job', ...json(CancelResponse) }, '404': error('No such job') },
        },
      },
      '/api/jobs/{jobId}/process': {
        post: {
          summary: 'Hand the job to the worker (or run it inline)',
          security: bearer,
          parameters: [jobId, projectIdQueryOrBody],
          requestBody: projectBody,
          responses: { '202': { description: 'Accepted', ...json(ProcessResponse) }, '401': error('Wrong secret'), '404': error('No such job') },
        },
      },
      '/api/jobs/{jobId}/image': {
        get: {
          summary: 'The image (or its latest preview)',
          parameters: [jobId, projectId, { name: 'variant', in: 'query', schema: { enum: ['image', 'preview'] } }],
          responses: {
            '200': { description: 'The bytes (filesystem store)', content: { 'image/png': {}, 'image/jpeg': {}, 'image/webp': {} } },
            '302': { description: 'A signed storage URL' },
            '404': error('No such job'),
            '409': error('Not ready'),
          },
        },
      },
      '/api/uploads': {
        post: {
          summary: 'Where to upload reference images',
          requestBody: { required: true, content: { 'application/json': { schema: schema(UploadsRequest, 'input') } } },
          responses: { '201': { description: 'Upload targets', ...json(UploadsResponse) }, '400': error('Invalid request') },
        },
      },
      '/api/metrics': {
        get: { summary: 'Queue depth, running jobs, outcomes and p50/p95 times', responses: { '200': { description: 'Metrics', ...json(MetricsResponse) } } },
      },
      '/api/cron/prune': {
        get: {
          summary: 'Delete expired jobs (Vercel Cron)',
          security: bearer,
          responses: { '200': { description: 'What was pruned', ...json(PruneResponse) }, '401': error('Wrong secret') },
        },
      },
    },
  };
}
