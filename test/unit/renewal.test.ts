// When a running job's lease is renewed: rarely enough that a short job costs no renewal, never so
// late that its holder (which stops writing with one heartbeat left) could lose a live job.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config.js';
import { renewAfterMs } from '../../shared/queue/lease.js';

describe('lease renewal', () => {
  it('waits half the default lease: a 5 s render and its ending need no renewal', () => {
    const { queue } = loadConfig({});
    expect(renewAfterMs(queue)).toBe(7_500);
  });

  it('leaves at least two heartbeats of lease at the beat that renews it, for every setting the config accepts', () => {
    for (let leaseMs = 300; leaseMs <= 120_000; leaseMs += 700) {
      for (let heartbeatMs = 50; heartbeatMs * 3 <= leaseMs; heartbeatMs += 37) {
        // The renewing beat comes at most a heartbeat after the threshold is reached.
        const latestRenewal = renewAfterMs({ leaseMs, heartbeatMs }) + heartbeatMs;
        expect(leaseMs - latestRenewal, `lease ${leaseMs}, heartbeat ${heartbeatMs}`).toBeGreaterThanOrEqual(2 * heartbeatMs);
      }
    }
  });
});
