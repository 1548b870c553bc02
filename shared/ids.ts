// Ids that are safe as path segments, and job ids that sort newest-first by name.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';

/** One path segment: letters, digits, `_` and `-`, starting with a letter or digit. Nothing else can
 * reach a store key, so `..`, `/`, `\`, `%2e`, NUL and the like are refused before any I/O. */
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

export const ProjectId = z.string().max(64, 'at most 64 characters').regex(SEGMENT, 'letters, digits, "_" and "-" only');
export const JobId = z.string().max(64, 'at most 64 characters').regex(SEGMENT, 'letters, digits, "_" and "-" only');
/** An uploaded input: `u`, its creation time and 80 random bits. */
export const UploadId = z.string().regex(/^u[0-9a-z]{26}$/, 'an upload id from POST /api/uploads');
export const ConceptId = z.string().max(64, 'at most 64 characters').regex(SEGMENT, 'letters, digits, "_" and "-" only');

const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';
const TIME_CHARS = 10; // 50 bits of milliseconds: good until the year 37648
const RANDOM_BYTES = 17; // 136 random bits (≥ 122, as unguessable as a UUIDv4)
const MAX_TIME = 2 ** 50 - 1;

function base32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += CROCKFORD[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += CROCKFORD[(value << (5 - bits)) & 31];
  return out;
}

/**
 * A job id: 10 characters of *inverted* creation time, then 136 random bits. Store listings are in
 * name order, so a project's jobs list newest first without reading a single document.
 */
export function newJobId(now = Date.now()): string {
  let t = MAX_TIME - now;
  let time = '';
  for (let i = 0; i < TIME_CHARS; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  return time + base32(randomBytes(RANDOM_BYTES));
}

/** `u`, 10 characters of creation time (so old uploads are found by name), 80 random bits. */
export function newUploadId(now = Date.now()): string {
  let t = now;
  let time = '';
  for (let i = 0; i < TIME_CHARS; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  return 'u' + time + base32(randomBytes(10)).slice(0, 16);
}

/** When an upload id was made, or null for one that is not of this form. */
export function timeOfUploadId(uploadId: string): number | null {
  if (!/^u[0-9a-z]{26}$/.test(uploadId)) return null;
  let t = 0;
  for (const ch of uploadId.slice(1, 1 + TIME_CHARS)) {
    const v = CROCKFORD.indexOf(ch);
    if (v < 0) return null;
    t = t * 32 + v;
  }
  return t;
}

/** When a job id was made (its first 10 characters), or null for an id that is not one of ours. */
export function timeOfJobId(jobId: string): number | null {
  if (jobId.length !== TIME_CHARS + Math.ceil((RANDOM_BYTES * 8) / 5)) return null;
  let t = 0;
  for (const ch of jobId.slice(0, TIME_CHARS)) {
    const v = CROCKFORD.indexOf(ch);
    if (v < 0) return null;
    t = t * 32 + v;
  }
  return MAX_TIME - t;
}
