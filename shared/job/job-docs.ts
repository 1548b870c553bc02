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
const FIELDS = LaterVersion.shape as Record<string, z.ZodType>;
const FIELD_NAMES = Object.keys(FIELDS);

export interface WriteJobOptions {
  createOnly?: boolean;
  /**
   * The version this one was made from, as read (and validated) or written before: only the fields
   * that are not the very same values as in it are checked (a holder's write changes a dozen, and
   * the unchanged rest was checked when it was read). Absent: every field but the request part.
   */
  from?: JobDocument;
}

export async function writeJob(store: ObjectStore, doc: JobDocument, opts: WriteJobOptions = {}): Promise<void> {
  const key = keys.job(doc.projectId, doc.jobId);
  let body: JobDocument = doc;
  if (opts.from && !opts.createOnly) {
    const issues = changedFieldIssues(doc, opts.from);
    if (issues) throw new CorruptDocumentError(key, issues);
  } else {
    const checked = (opts.createOnly ? JobDocument : LaterVersion).safeParse(doc);
    if (!checked.success) throw new CorruptDocumentError(key, checked.error.issues);
    body = checked.data;
  }
  await store.put(key, JSON.stringify(body), { createOnly: opts.createOnly, contentType: 'application/json' });
}

/** The issues of the fields of `doc` that differ from `from` (by identity), each checked alone; undefined when none. */
function changedFieldIssues(doc: JobDocument, from: JobDocument): z.core.$ZodIssue[] | undefined {
  const d = doc as unknown as Record<string, unknown>;
  const f = from as unknown as Record<string, unknown>;
  let issues: z.core.$ZodIssue[] | undefined;
  for (const name of FIELD_NAMES) {
    if (d[name] === f[name] && name in d) continue;
    const checked = FIELDS[name]!.safeParse(d[name]);
    if (!checked.success) (issues ??= []).push(...checked.error.issues.map((i) => ({ ...i, path: [name, ...i.path] })));
  }
  return issues;
}
