// Load, scaled for CI: 200 clients polling status once a second and 10 creates a second for a few seconds, with
// autocannon on loopback. Every request must succeed; the figures are printed (the bench runs it
// for a minute: `npm run bench -- --only load`).
import { describe, expect, it } from 'vitest';
import { runLoad } from '../../bench/load.js';

describe('load', () => {
  it('serves 200 concurrent pollers and a steady stream of creates without an error', async () => {
    const r = await runLoad({ seconds: 6, pollers: 200, pollsPerClientPerSecond: 1, createsPerSecond: 10, seedJobs: 50 });
    console.log(`load: ${JSON.stringify(r)}`);
    // About the rates asked for (200 polls/s and 10 creates/s for 6 s): the API kept up.
    expect(r.polls.requests).toBeGreaterThan(1000);
    expect(r.creates.requests).toBeGreaterThanOrEqual(50);
    expect([r.polls.errors, r.polls.timeouts, r.polls.non2xx]).toEqual([0, 0, 0]);
    expect([r.creates.errors, r.creates.timeouts, r.creates.non2xx]).toEqual([0, 0, 0]);
    expect(r.jobsCompletedAfter).toBeGreaterThan(0);
  }, 60_000);
});
