// Chaos, scaled for CI: 100+ jobs, 3 worker processes killed with SIGKILL at random and replaced,
// on the filesystem store and on the Supabase stand-in with a fifth of storage requests failing.
// `npm run chaos -- --jobs 1000 --workers 4` runs the same harness large.
import { describe, expect, it } from 'vitest';
import { onRealServer } from '../helpers/stores.js';
import { runChaos, type ChaosOptions } from './harness.js';

const base: Omit<ChaosOptions, 'store' | 'faultRate' | 'seed'> = {
  jobs: 100,
  workers: 3,
  // Long enough that a run of 100 jobs lasts several kill intervals (300 ms runs took ~7 s: 4 kills at times).
  renderMs: 500,
  killEveryMs: [800, 2000],
  leaseMs: 2_000,
  timeoutMs: 150_000,
};

const cases: Array<[string, Pick<ChaosOptions, 'store' | 'faultRate' | 'seed'> & Partial<ChaosOptions>]> = onRealServer
  ? // The real-storage project: one small run on the real Supabase Storage server (its own faults
    // only). A worker there needs seconds of round trips before its first sweep: killed every
    // 0.8-2 s, three workers rarely live long enough to take anything over (measured: a job 32 s
    // on a dead worker), so the kills come every 2-4 s.
    [['the real Supabase Storage server', { store: 'supabase-real', faultRate: 0, seed: 303, jobs: 60, killEveryMs: [2_000, 4_000] }]]
  : [
      ['fs', { store: 'fs', faultRate: 0, seed: 101 }],
      ['supabase stand-in, 20% of storage requests failing or slow', { store: 'supabase', faultRate: 0.2, seed: 202 }],
    ];

describe.each(cases)('chaos on %s', (_label, opts) => {
  it('ends every job, one result and at most one charge each, none stuck on a dead worker', async () => {
    const r = await runChaos({ ...base, ...opts });
    const summary = { ...r, docs: undefined };
    console.log(`chaos ${opts.store}: ${JSON.stringify(summary)}`);
    expect(r.jobs).toBe(opts.jobs ?? base.jobs);
    expect(r.completed + r.failed).toBe(r.jobs); // terminal, and nobody cancelled anything
    expect(r.other).toBe(0);
    expect(r.kills).toBeGreaterThanOrEqual(5);
    expect(r.lostAttempts).toBeGreaterThan(0); // the kills hit running jobs
    expect(r.maxStuckMs).toBeLessThanOrEqual(r.stuckLimitMs);
    expect(r.resultsMissing).toBe(0);
    expect(r.strayResults).toBe(0);
    expect(r.doubleCharges).toBe(0);
    expect(r.chargesOfUnfinished).toBe(0);
    expect(r.completedWithoutCharge).toBe(0);
    if (opts.faultRate > 0) expect(r.faultsInjected! / r.storageRequests!).toBeGreaterThanOrEqual(0.15);
    for (const d of r.docs) {
      expect(d.attempts.filter((a) => a.outcome === 'running')).toEqual([]);
      expect(d.attempts.filter((a) => a.outcome === 'completed').length).toBe(d.status === 'completed' ? 1 : 0);
    }
  }, 200_000);
});
