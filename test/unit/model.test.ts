import { describe, expect, it } from 'vitest';
import { JobId, newJobId } from '../../shared/ids.js';
import { ConceptInputs, volumeHeight } from '../../shared/job/concept.js';
import { assertTransition, isTerminal } from '../../shared/job/status.js';
import { retryDelayMs } from '../../shared/queue/backoff.js';
import { conceptIdOf } from '../../shared/queue/enqueue.js';
import { exampleRequest } from '../helpers/concept.js';

describe('job ids', () => {
  it('sort newest first by name, and are unique and path-safe', () => {
    const t = Date.parse('2026-11-22T12:00:00Z');
    const ids = [newJobId(t), newJobId(t + 1), newJobId(t + 1000), newJobId(t + 86_400_000)];
    expect([...ids].sort()).toEqual([...ids].reverse());
    const many = new Set(Array.from({ length: 10_000 }, () => newJobId(t)));
    expect(many.size).toBe(10_000);
    for (const id of ids) {
      expect(JobId.safeParse(id).success).toBe(true);
      expect(id).toHaveLength(10 + 28); // 10 time chars + 136 random bits in base32
    }
  });
});

describe('concept inputs', () => {
  it('fill in defaults for view, roof, materials and offsets', () => {
    const c = ConceptInputs.parse({ site: { width: 10, depth: 10 }, volumes: [{ footprint: { width: 4, depth: 4 }, floors: 3 }] });
    expect(c.view).toEqual({ azimuthDeg: 45, elevationDeg: 35.26, width: 1024, height: 768 });
    expect(c.roof).toEqual({ form: 'flat', pitchDeg: 30, ridge: 'x' });
    expect(c.volumes[0]!.offset).toEqual({ x: 0, y: 0 });
    expect(volumeHeight(c.volumes[0]!)).toBeCloseTo(9.6);
  });

  it('need a height or a number of floors on every volume', () => {
    const r = ConceptInputs.safeParse({ site: { width: 10, depth: 10 }, volumes: [{ footprint: { width: 4, depth: 4 } }] });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain('give a height or a number of floors');
  });

  it('give the same concept id for the same inputs, whatever the key order', () => {
    const a = exampleRequest().conceptInputs;
    const reordered = Object.fromEntries(Object.entries(a).reverse());
    expect(conceptIdOf(reordered)).toBe(conceptIdOf(a));
    expect(conceptIdOf({ ...a, title: 'other' })).not.toBe(conceptIdOf(a));
  });
});

describe('statuses', () => {
  it('allow only the transitions of DESIGN.md; terminal states never change', () => {
    expect(() => assertTransition('pending', 'processing')).not.toThrow();
    expect(() => assertTransition('processing', 'pending')).not.toThrow();
    expect(() => assertTransition('pending', 'completed')).toThrow(/cannot go from pending to completed/);
    for (const t of ['completed', 'failed', 'cancelled'] as const) {
      expect(isTerminal(t)).toBe(true);
      for (const to of ['pending', 'processing', 'completed', 'failed', 'cancelled'] as const) expect(() => assertTransition(t, to)).toThrow();
    }
  });
});

describe('retry backoff', () => {
  it('grows exponentially with jitter between half and all of the ceiling, capped', () => {
    const opts = { baseMs: 1000, maxMs: 8000 };
    expect(retryDelayMs(1, opts, () => 0)).toBe(500);
    expect(retryDelayMs(1, opts, () => 1)).toBe(1000);
    expect(retryDelayMs(3, opts, () => 0.5)).toBe(3000);
    expect(retryDelayMs(10, opts, () => 1)).toBe(8000);
  });
});
