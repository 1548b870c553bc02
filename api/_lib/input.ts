// Reading a request's input with zod, at the edge, before anything touches the store.
import { z } from 'zod';
import { InvalidJsonError, PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../../shared/errors.js';
import { JobId, ProjectId } from '../../shared/ids.js';
import type { ApiRequest } from './types.js';

export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new ValidationError(
      `Invalid ${what}.`,
      parsed.error.issues.map((i) => ({ path: i.path, message: i.message, code: i.code })),
    );
  }
  return parsed.data;
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\b/i;

/** The JSON body, size-checked. Platforms parse `req.body` lazily and throw on malformed JSON. */
export function jsonBody(req: ApiRequest, maxBytes: number): unknown {
  const length = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(length) && length > maxBytes) throw new PayloadTooLargeError(maxBytes);
  const type = String(req.headers['content-type'] ?? '');
  if (!JSON_TYPE.test(type)) throw new UnsupportedMediaTypeError();
  let body: unknown;
  try {
    body = req.body;
  } catch {
    throw new InvalidJsonError();
  }
  if (body === undefined) throw new ValidationError('The request body is empty.');
  return body;
}

const ProjectQuery = z.object({ projectId: ProjectId });
const ProjectInBody = z.object({ projectId: ProjectId });

/**
 * The job a `/api/jobs/:jobId…` request names, both ids checked before any store access. The
 * project comes from `?projectId=`, or on a POST from a JSON body `{projectId, …}`: the job
 * pattern's own client posts `{projectId, conceptInputs}` to `/process` with no query string.
 * When both are given they must agree.
 */
export function jobRefOf(req: ApiRequest, params: Record<string, string>): { projectId: string; jobId: string } {
  const jobId = parseWith(JobId, params.jobId, 'job id');
  const fromQuery = req.query?.projectId === undefined ? undefined : parseWith(ProjectQuery, req.query, 'query').projectId;
  const fromBody = projectIdInBody(req);
  if (fromQuery !== undefined && fromBody !== undefined && fromQuery !== fromBody) {
    throw new ValidationError('projectId differs between the query string and the JSON body.', [
      { path: ['projectId'], message: `query ${JSON.stringify(fromQuery)}, body ${JSON.stringify(fromBody)}`, code: 'custom' },
    ]);
  }
  const projectId = fromQuery ?? fromBody;
  if (projectId === undefined) {
    throw new ValidationError('projectId is required: in the query (?projectId=) or, on a POST, in the JSON body.', [
      { path: ['projectId'], message: 'required', code: 'invalid_type' },
    ]);
  }
  return { projectId, jobId };
}

/** `projectId` from a POST's JSON body, if it has one; other bodies (none, not JSON, no field) give none. */
function projectIdInBody(req: ApiRequest): string | undefined {
  if (req.method === 'GET' || req.method === 'HEAD') return undefined;
  if (!JSON_TYPE.test(String(req.headers['content-type'] ?? ''))) return undefined;
  let body: unknown;
  try {
    body = req.body;
  } catch {
    throw new InvalidJsonError();
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body) || !('projectId' in body)) return undefined;
  return parseWith(ProjectInBody, { projectId: (body as { projectId: unknown }).projectId }, 'body').projectId;
}
