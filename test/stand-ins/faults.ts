// Faults a stand-in injects on demand: the failures of a real service, one request at a time.
import { delay, HttpResponse } from 'msw';

export type Fault =
  /** An error status with the service's own error body (the stand-in picks the body). */
  | { kind: 'status'; status: number }
  /** The connection drops before the request is applied: the client sees a network error. */
  | { kind: 'drop' }
  /** The request is applied, then the connection drops: the client cannot know it succeeded. */
  | { kind: 'drop-after' }
  /** The answer comes, but late. */
  | { kind: 'slow'; ms: number };

/** Decides, per request, whether and how it fails. `op` is the stand-in's name for the route. */
export type FaultPlan = (op: string) => Fault | undefined;

/** A seeded generator (mulberry32), so a chaos run can be repeated. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Each request fails with probability `rate`, as one of `faults` picked at random. */
export function randomFaults(rate: number, faults: Fault[], random: () => number = Math.random): FaultPlan {
  return () => (random() < rate ? faults[Math.floor(random() * faults.length)] : undefined);
}

/** The next `n` requests of the named ops (all ops when omitted) fail with `fault`; then none. */
export function nextRequestsFail(n: number, fault: Fault, ops?: string[]): FaultPlan {
  let left = n;
  return (op) => {
    if (left <= 0 || (ops && !ops.includes(op))) return undefined;
    left -= 1;
    return fault;
  };
}

/**
 * Runs `apply` under `fault`: answers the error, drops the connection before or after applying,
 * or delays. `errorFor(status)` builds the service's error response for a status fault.
 */
export async function withFault(
  fault: Fault | undefined,
  apply: () => Promise<Response> | Response,
  errorFor: (status: number) => Response,
): Promise<Response> {
  if (!fault) return apply();
  switch (fault.kind) {
    case 'status':
      return errorFor(fault.status);
    case 'drop':
      return HttpResponse.error();
    case 'drop-after':
      await apply();
      return HttpResponse.error();
    case 'slow':
      await delay(fault.ms);
      return apply();
  }
}
