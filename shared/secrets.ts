// Shared-secret checks in constant time, so response timing reveals nothing about the secret.
import { createHash, timingSafeEqual } from 'node:crypto';

export function secretMatches(given: string, expected: string): boolean {
  // Hash both sides first: timingSafeEqual needs equal lengths, and the length must not leak either.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** `Authorization: Bearer <secret>` */
export function bearerMatches(header: string | undefined, expected: string): boolean {
  const match = /^Bearer (.+)$/i.exec(header ?? '');
  return match ? secretMatches(match[1]!, expected) : false;
}
