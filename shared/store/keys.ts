// The storage layout of DESIGN.md, and the key grammar that keeps every key inside the store's root.
import { InvalidKeyError } from '../errors.js';

// A segment starts with a letter or digit, so `.`, `..` and hidden temp files can never be named.
/** Segments of `[A-Za-z0-9][A-Za-z0-9._-]*` joined by `/`: one match, no split (every store call checks its key). */
const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]*(?:\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;
const MAX_KEY_LENGTH = 512;

export function assertValidKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) throw new InvalidKeyError(String(key));
  // No segment holds `..`; `/` is no dot, so no segment does exactly when the key does not.
  if (!KEY.test(key) || key.includes('..')) throw new InvalidKeyError(key);
}

export function assertValidPrefix(prefix: string): void {
  if (!prefix.endsWith('/')) throw new InvalidKeyError(prefix);
  assertValidKey(prefix.slice(0, -1));
}

/** Milliseconds, zero-padded so that name order is time order (good past the year 2286). */
const RUN_AFTER_WIDTH = 13;

/**
 * An id as a key segment that no other id shares on a case-insensitive store. Supabase Storage
 * lists prefixes case-insensitively (`jobs/demo/` lists `jobs/Demo/` too) and macOS disks ignore
 * case altogether, so every segment we write is lowercase. An id without capitals is its own
 * segment (all generated ids, and data written before this encoding, stay where they are); an id
 * with capitals becomes `{lowercased}.{which letters were capitals, as a base-36 bit mask}`. Ids
 * never contain `.`, so the two forms cannot meet, and the mask makes the encoding injective.
 */
export function idSegment(id: string): string {
  if (!/[A-Z]/.test(id)) return id;
  let mask = 0n;
  for (let i = 0; i < id.length; i++) if (id[i]! >= 'A' && id[i]! <= 'Z') mask |= 1n << BigInt(i);
  return `${id.toLowerCase()}.${mask.toString(36)}`;
}

/**
 * The id a segment stands for; null for a name no id encodes to — a folder written before keys
 * were case-safe (`jobs/Demo/`: `render-jobs migrate-keys` moves it) or a foreign object.
 */
export function idOfSegment(segment: string): string | null {
  const dot = segment.indexOf('.');
  if (dot < 0) return /[A-Z]/.test(segment) ? null : segment;
  const lower = segment.slice(0, dot);
  const maskText = segment.slice(dot + 1);
  if (!/^[0-9a-z]{1,14}$/.test(maskText)) return null;
  let mask = 0n;
  for (const ch of maskText) mask = mask * 36n + BigInt(parseInt(ch, 36));
  let id = '';
  for (let i = 0; i < lower.length; i++) id += (mask >> BigInt(i)) & 1n ? lower[i]!.toUpperCase() : lower[i]!;
  return idSegment(id) === segment ? id : null;
}

/** Folders named after a project id: what `migrate-keys` walks, and what prune lists. */
export const PROJECT_FOLDERS = ['jobs/', 'results/', 'uploads/', 'idempotency/', 'charges/'] as const;

// Caller-chosen ids (project ids) and ids that arrive in request paths (job ids) go through
// idSegment. Queue markers, leases and cancel requests only ever name generated job ids
// (lowercase by construction), but they go through it too, so no path id can reach another job's key.
const p = idSegment;
export const keys = {
  job: (projectId: string, jobId: string) => `jobs/${p(projectId)}/${p(jobId)}.json`,
  jobsOf: (projectId: string) => `jobs/${p(projectId)}/`,
  /**
   * A signed-in user's jobs of a project, newest first (job ids sort so): an empty object per job,
   * so that a user's listing reads only their own jobs. `ownerScope` is a hash of the owner id.
   */
  ownerJobsOf: (ownerScope: string, projectId: string) => `owners/${ownerScope}/${p(projectId)}/`,
  ownerJob: (ownerScope: string, projectId: string, jobId: string) => `owners/${ownerScope}/${p(projectId)}/${p(jobId)}`,
  queueFolder: 'queue/',
  /**
   * `queue/{at}-{jobId}.{projectId}.{p|r}.{owner}`: everything a scan needs is in the name, so it
   * reads no marker. `at` is when the job next needs a worker's attention — when it is due (`p`,
   * pending), or when its first lease would run out (`r`, running: a stall shows up as a due `r`
   * marker); `owner` is a tag of the owner (or `none`), so one owner's capped jobs are passed over
   * without reading them. Markers of older versions (`{at}-{jobId}`, project in the body) still parse.
   */
  queueMarker: (atMs: number, jobId: string, where?: { projectId: string; state: 'p' | 'r'; owner: string }) =>
    `queue/${queueTime(atMs)}-${jobId}${where ? `.${where.projectId}.${where.state}.${where.owner}` : ''}`,
  /** Every marker name due at or before `atMs` sorts at or before this (a listing's `startAfter`). */
  queueTimeBefore: (atMs: number) => queueTime(atMs - 1) + '.',
  leaseFolder: (jobId: string) => `leases/${p(jobId)}/`,
  lease: (jobId: string, attempt: number) => `leases/${p(jobId)}/${attempt}`,
  cancel: (jobId: string) => `cancel/${p(jobId)}`,
  result: (projectId: string, jobId: string, ext: string) => `results/${p(projectId)}/${p(jobId)}.${ext}`,
  preview: (projectId: string, jobId: string, ext: string) => `results/${p(projectId)}/${p(jobId)}.preview.${ext}`,
  upload: (projectId: string, uploadId: string) => `uploads/${p(projectId)}/${uploadId}`,
  idempotency: (projectId: string, keyHash: string) => `idempotency/${p(projectId)}/${keyHash}`,
  /** Concurrency slots: `{slot}-{generation}-{h|f}`; the highest generation is the slot's state. */
  slotFolder: (scope: string) => `slots/${scope}/`,
  slot: (scope: string, slot: number, gen: number, state: 'h' | 'f') =>
    `slots/${scope}/${String(slot).padStart(4, '0')}-${String(gen).padStart(10, '0')}-${state}`,
  charge: (projectId: string, jobId: string) => `charges/${p(projectId)}/${p(jobId)}.json`,
  /** Create-rate windows: `{windowStart}-{n}` per scope. */
  rateFolder: (scope: string) => `rate/${scope}/`,
  rateTicket: (scope: string, windowName: string, n: number) => `rate/${scope}/${windowName}${String(n).padStart(6, '0')}`,
  /** Each attempt to deliver a job's webhooks (one writer: the process delivering). */
  webhookLog: (jobId: string) => `webhooks/${jobId}.json`,
  /** What each worker reports: capacity, running jobs, recent outcomes. */
  metricsFolder: 'metrics/workers/',
  workerMetrics: (workerId: string) => `metrics/workers/${workerId.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, 'w')}.json`,
} as const;

/** `{slot}-{generation}-{h|f}` back into its parts. */
export function parseSlotName(name: string): { slot: number; gen: number; held: boolean } | null {
  const match = /^(\d{4})-(\d{10})-([hf])$/.exec(name);
  if (!match) return null;
  return { slot: Number(match[1]), gen: Number(match[2]), held: match[3] === 'h' };
}

function queueTime(ms: number): string {
  return String(Math.max(0, Math.floor(ms))).padStart(RUN_AFTER_WIDTH, '0');
}

export interface QueueMarkerName {
  runAfterMs: number;
  jobId: string;
  /** Null for a marker of an older version (its project is in its body). */
  projectId: string | null;
  state: 'p' | 'r' | null;
  owner: string | null;
}

/** A queue marker's name back into its parts; null for a name that is not a queue marker. */
export function parseQueueMarker(name: string): QueueMarkerName | null {
  const match = /^(\d{13})-([A-Za-z0-9][A-Za-z0-9_-]*)(?:\.([A-Za-z0-9][A-Za-z0-9_-]*)\.([pr])\.([0-9a-f]{16}|none))?$/.exec(name);
  if (!match) return null;
  return {
    runAfterMs: Number(match[1]),
    jobId: match[2]!,
    projectId: match[3] ?? null,
    state: (match[4] as 'p' | 'r' | undefined) ?? null,
    owner: match[5] ?? null,
  };
}
