// Reading a request's input with zod, at the edge, before anything touches the store.
import { z } from 'zod';
import { InvalidJsonError, PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../../shared/errors.js';
import { JobId, ProjectId } from '../../shared/ids.js';
import type { ApiRequest } from './types.js';

export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new ValidationError(`Invalid ${what}.`, parsed.error.issues.map((i) => ({ path: i.path, message: i.message, code: i.code })));
  }
  return parsed.data;
}

/** The JSON body, size-checked. Platforms parse `req.body` lazily and throw on malformed JSON. */
export function jsonBody(req: ApiRequest, maxBytes: number): unknown {
  const length = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(length) && length > maxBytes) throw new PayloadTooLargeError(maxBytes);
  const type = String(req.headers['content-type'] ?? '');
  if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) throw new UnsupportedMediaTypeError();
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

/** The job a `/api/jobs/:jobId…?projectId=` request names, both ids checked before any store access. */
export function jobRefOf(req: ApiRequest, params: Record<string, string>): { projectId: string; jobId: string } {
  const jobId = parseWith(JobId, params.jobId, 'job id');
  const { projectId } = parseWith(ProjectQuery, req.query, 'query');
  return { projectId, jobId };
}
