// The worker's pacing on its own, against a model store: how long a call takes as a function of
// the work the worker has in flight. What a user depends on: a worker that saturates what it talks
// to holds back until its store answers near its unloaded speed again; a store that is slow for
// reasons of its own never makes the worker give up slots; slow, cheap work keeps every slot.
import { describe, expect, it } from 'vitest';
import { Pacing } from '../../worker/pacing.js';

/**
 * Runs `seconds` of a worker that always has more work than its limit: every 50 ms, ten store calls
 * whose time `latency(inFlight)` gives, in flight being what the limit allows. Returns the limits seen.
 */
function drive(pacing: Pacing, seconds: number, latency: (inFlight: number) => number, clock: { t: number }): number[] {
  const limits: number[] = [];
  for (let i = 0; i < seconds * 20; i++) {
    clock.t += 50;
    pacing.wantedMore();
    for (let c = 0; c < 10; c++) pacing.observe(latency(pacing.limit));
    limits.push(pacing.limit);
  }
  return limits;
}

/** A store (or CPU) that serves one call at a time: each in flight adds its 1 ms of service to the wait. */
const saturating = (inFlight: number) => 1 + inFlight;

describe('worker pacing', () => {
  it('starts at 8 and doubles while the store stays fast, up to the concurrency', () => {
    const clock = { t: 0 };
    const pacing = new Pacing(50, () => clock.t);
    expect(pacing.limit).toBe(8);
    const limits = drive(pacing, 3, () => 5, clock);
    // One doubling a half-second window: 16, 32, then the cap.
    expect(limits.filter((l, i) => l !== limits[i - 1])).toEqual([8, 16, 32, 50]);
    expect(pacing.limit).toBe(50);
    expect(pacing.state.cuts).toBe(0);
  });

  it('a worker at the default concurrency (or up to 8) has every slot, always', () => {
    const clock = { t: 0 };
    const pacing = new Pacing(4, () => clock.t);
    expect(pacing.limit).toBe(4);
    expect(drive(pacing, 10, (n) => 10 * saturating(n), clock).every((l) => l === 4)).toBe(true);
    // Nor is a larger worker ever cut below 8.
    const larger = new Pacing(50, () => clock.t);
    expect(Math.min(...drive(larger, 10, (n) => (n > 8 ? 10 * saturating(n) : 9), clock))).toBe(8);
  });

  it('holds a saturating worker near twice its unloaded latency, with room to spare for others', () => {
    const clock = { t: 0 };
    const pacing = new Pacing(50, () => clock.t);
    const limits = drive(pacing, 60, saturating, clock);
    const settled = limits.slice(-20 * 30); // the last 30 s
    // Unloaded (8 in flight) a call takes 9 ms: it is let grow no further than about twice that.
    expect(pacing.state.baselineMs).toBe(9);
    expect(Math.max(...settled.map(saturating))).toBeLessThanOrEqual(2 * 9 + 2);
    // …and is not starved either: more than the 8 it started with.
    expect(Math.min(...settled)).toBeGreaterThan(8);
  });

  it('never throttles for latency it does not cause: a slower store keeps every slot', () => {
    const clock = { t: 0 };
    const pacing = new Pacing(50, () => clock.t);
    drive(pacing, 3, () => 5, clock);
    expect(pacing.limit).toBe(50);
    // The network gets five times slower, whatever the worker does.
    const limits = drive(pacing, 30, () => 25, clock);
    expect(pacing.state.undone).toBeGreaterThan(0);
    expect(limits.slice(-20 * 20).every((l) => l === 50)).toBe(true);
  });

  it('WORKER_PACING=off: the concurrency, always', () => {
    const clock = { t: 0 };
    const pacing = new Pacing(50, () => clock.t, false);
    expect(drive(pacing, 10, saturating, clock).every((l) => l === 50)).toBe(true);
  });
});
