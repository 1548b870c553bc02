// Reading and writing job documents, validated both ways: a bad document is reported, never used.
import { z } from 'zod';
import { CorruptDocumentError } from '../errors.js';
import { JobDocument } from './document.js';
import { keys } from '../store/keys.js';
import type { ObjectStore } from '../store/object-store.js';

export async function readJob(store: ObjectStore, projectId: string, jobId: string): Promise<JobDocument | null> {
  const key = keys.job(projectId, jobId);
  const object = await store.get(key);
  if (!object) return null;
  return parseJob(key, object.body);
}

export function parseJob(key: string, body: Buffer): JobDocument {
  let raw: unknown;
  try {
    raw = JSON.parse(body.toString('utf8'));
  } catch {
    throw new CorruptDocumentError(key, 'not JSON');
  }
  const parsed = JobDocument.safeParse(raw);
  if (!parsed.success) throw new CorruptDocumentError(key, parsed.error.issues);
  return parsed.data;
}

/**
 * Later versions of a document (every write but its create) are checked without `conceptInputs`:
 * the request part never changes after creation, and each writer starts from a document it read
 * and validated, so checking it again on every claim, progress and ending write (two thirds of the
 * check's cost) finds nothing new.
 */
const LaterVersion = JobDocument.extend({ conceptInputs: z.custom<JobDocument['conceptInputs']>((v) => typeof v === 'object' && v !== null) });

export async function writeJob(store: ObjectStore, doc: JobDocument, opts: { createOnly?: boolean } = {}): Promise<void> {
  const key = keys.job(doc.projectId, doc.jobId);
  const checked = (opts.createOnly ? JobDocument : LaterVersion).safeParse(doc);
  if (!checked.success) throw new CorruptDocumentError(key, checked.error.issues);
  await store.put(key, JSON.stringify(checked.data), { createOnly: opts.createOnly, contentType: 'application/json' });
}
