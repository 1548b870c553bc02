// A worker that loses a claim to another picks its next jobs spread over a wider head of the queue.
import { describe, expect, it } from 'vitest';
import { CONTENDED_MS, Contention, SPREAD } from '../../worker/contention.js';

describe('claim contention', () => {
  const head = Array.from({ length: 40 }, (_, i) => i);

  it('keeps strict queue order while no race was lost', () => {
    const c = new Contention(
      () => 0,
      () => 0.99,
    );
    expect(c.window(4)).toBe(4);
    expect(c.pick(head, 4)).toEqual([0, 1, 2, 3]);
  });

  it('after a lost race picks among the first n × SPREAD, distinct and oldest first, until CONTENDED_MS pass', () => {
    let now = 1_000;
    const c = new Contention(() => now);
    c.lost();
    expect(c.lostClaims).toBe(1);
    expect(c.window(4)).toBe(4 * SPREAD);
    const window = head.slice(0, c.window(4));
    const used = new Set<number>();
    for (let i = 0; i < 50; i++) {
      const picked = c.pick(window, 4);
      expect(new Set(picked).size).toBe(4);
      expect(picked).toEqual([...picked].sort((a, b) => a - b));
      for (const x of picked) used.add(x);
    }
    // Fifty picks of four at random from 32 touch nearly all of them (strict order: the same four).
    expect(used.size).toBeGreaterThan(16);
    expect([...used].every((x) => x < 4 * SPREAD)).toBe(true);
    now += CONTENDED_MS;
    expect(c.window(4)).toBe(4);
    expect(c.pick(window, 4)).toEqual([0, 1, 2, 3]);
  });

  it('takes everything when fewer are ready than wanted', () => {
    const c = new Contention(() => 0);
    c.lost();
    expect(c.pick([5, 6], 4)).toEqual([5, 6]);
  });
});
