// Who may use an upload, and how large and of what type it may be. Asking for an upload URL writes
// a grant `upload-grants/{projectId}/{scope}/{uploadId}.{bytes}.{ext}` (scope: the user, an
// anonymous address, or the trusted server), so a render request can use only its own caller's
// uploads, no larger than declared, and the names alone (one listing) sum a caller's quota.
import { AppError, StoreConflictError } from '../errors.js';
import { timeOfUploadId } from '../ids.js';
import { listAll, listAllFolders, type ObjectStore } from '../store/object-store.js';
import { extensionOf, IMAGE_TYPES, type ImageType } from './sniff.js';

/** Signed Supabase upload URLs last two hours; ours match. */
export const UPLOAD_URL_TTL_MS = 2 * 60 * 60 * 1000;
/** Live uploads per caller and project, whatever their size: keeps each listing to one page. */
export const MAX_LIVE_UPLOADS = 1000;

export interface UploadGrant {
  uploadId: string;
  bytes: number;
  contentType: ImageType;
}

export const grantFolder = (projectId: string, scope: string) => `upload-grants/${projectId}/${scope}/`;
const grantName = (g: UploadGrant) => `${g.uploadId}.${g.bytes}.${extensionOf(g.contentType)}`;

export function parseGrantName(name: string): UploadGrant | null {
  const match = /^(u[0-9a-z]{26})\.(\d{1,12})\.([a-z]{3,4})$/.exec(name);
  const type = IMAGE_TYPES.find((t) => extensionOf(t) === match?.[3]);
  return match && type ? { uploadId: match[1]!, bytes: Number(match[2]), contentType: type } : null;
}

export class UploadQuotaError extends AppError {
  constructor(details: { quotaBytes: number; usedBytes: number; askedBytes: number; maxFiles: number }) {
    super(
      'upload_quota_exceeded',
      `Uploads in this project may hold at most ${details.quotaBytes} bytes (and ${details.maxFiles} files) per caller until older ones are pruned.`,
      {
        status: 429,
        details,
      },
    );
  }
}

/** This caller's grants in the project (unused ones go an hour or so after their URL expired). */
export async function grantsOf(store: ObjectStore, projectId: string, scope: string): Promise<UploadGrant[]> {
  const out: UploadGrant[] = [];
  for await (const entry of listAll(store, grantFolder(projectId, scope))) {
    const grant = parseGrantName(entry.name);
    if (grant) out.push(grant);
  }
  return out;
}

/** Records the grants, or refuses all of them when they would pass the caller's quota (0: none). */
export async function grantUploads(store: ObjectStore, projectId: string, scope: string, wanted: UploadGrant[], quotaBytes: number): Promise<void> {
  const held = await grantsOf(store, projectId, scope);
  const usedBytes = held.reduce((sum, g) => sum + g.bytes, 0);
  const askedBytes = wanted.reduce((sum, g) => sum + g.bytes, 0);
  if ((quotaBytes > 0 && usedBytes + askedBytes > quotaBytes) || held.length + wanted.length > MAX_LIVE_UPLOADS) {
    throw new UploadQuotaError({ quotaBytes, usedBytes, askedBytes, maxFiles: MAX_LIVE_UPLOADS });
  }
  await Promise.all(
    wanted.map(async (g) => {
      try {
        await store.put(grantFolder(projectId, scope) + grantName(g), '{}', { createOnly: true, contentType: 'application/json' });
      } catch (err) {
        if (!(err instanceof StoreConflictError)) throw err; // a retried write that had landed
      }
    }),
  );
}

/**
 * Grants that are over: older than the retention time, or past their URL's life with no upload made
 * (so an unused URL stops counting against the quota soon after it expires).
 */
export function grantIsOver(grant: UploadGrant, uploaded: boolean, cutoffMs: number, nowMs: number): boolean {
  const created = timeOfUploadId(grant.uploadId);
  if (created === null) return true;
  return created <= cutoffMs || (!uploaded && created + UPLOAD_URL_TTL_MS + 60_000 < nowMs);
}

/** Deletes grants that are over; returns how many, or null when `overTime` said stop. */
export async function pruneGrants(store: ObjectStore, opts: { cutoff: number; now: number; overTime: () => boolean }): Promise<number | null> {
  let deleted = 0;
  for await (const project of listAllFolders(store, 'upload-grants/')) {
    const uploaded = new Set<string>();
    for await (const entry of listAll(store, `uploads/${project.name}/`)) uploaded.add(entry.name);
    for await (const scope of listAllFolders(store, `${project.key}/`)) {
      if (opts.overTime()) return null;
      const over: string[] = [];
      for await (const entry of listAll(store, `${scope.key}/`)) {
        const grant = parseGrantName(entry.name);
        if (!grant || grantIsOver(grant, uploaded.has(grant.uploadId), opts.cutoff, opts.now)) over.push(entry.key);
      }
      await Promise.all(over.map((k) => store.delete(k)));
      deleted += over.length;
    }
  }
  return deleted;
}
