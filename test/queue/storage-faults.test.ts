// Supabase Storage misbehaving: a fifth of all storage requests fail (LockTimeout, 500, dropped
// before or after being applied, slow). Retries absorb most; the queue rules recover the rest.
// Every job still ends completed, with exactly one result, and no job stays processing.
import { describe, expect, it } from 'vitest';
import { enqueueJob } from '../../shared/queue/enqueue.js';
import { readJob } from '../../shared/job/job-docs.js';
import { listAll } from '../../shared/store/object-store.js';
import { ClaimLoop } from '../../worker/claim-loop.js';
import { smallRequest } from '../helpers/concept.js';
import { testDeps } from '../helpers/deps.js';
import { TimedProvider } from '../helpers/providers.js';
import { supabaseFixture } from '../helpers/stores.js';
import { until } from '../helpers/wait.js';
import { randomFaults, seededRandom } from '../stand-ins/faults.js';

describe.each([
  ['atomic', true],
  ['racy', false],
])('queue on a faulty Supabase stand-in (%s create-only)', (_label, atomicCreate) => {
  it('completes every job exactly once while 20% of storage requests fail', async () => {
    const { store, standIn } = await supabaseFixture({ atomicCreate, retries: 3 });
    const deps = testDeps(store, { queue: { leaseMs: 3000, heartbeatMs: 200, retryBaseMs: 50, retryMaxMs: 200, maxAttempts: 5 } });
    const jobs = await Promise.all(Array.from({ length: 12 }, () => enqueueJob(deps, smallRequest('faults'))));
    standIn.faults = randomFaults(
      0.2,
      [{ kind: 'status', status: 503 }, { kind: 'status', status: 500 }, { kind: 'drop' }, { kind: 'drop-after' }, { kind: 'slow', ms: 150 }],
      seededRandom(atomicCreate ? 7 : 11),
    );
    const loops = ['w1', 'w2'].map((id) => new ClaimLoop(deps, { workerId: id, concurrency: 3, provider: new TimedProvider(50) }));
    for (const l of loops) l.start();
    await until(
      async () => {
        // The test reads around the faults: it is checking the queue, not the stand-in.
        const docs = jobs.map((j) => standIn.file('render-jobs', `jobs/faults/${j.jobId}.json`));
        return docs.every((f) => f && JSON.parse(f.body.toString()).status === 'completed');
      },
      25_000,
      'every job completed',
    );
    await Promise.all(loops.map((l) => l.stop(2000)));
    standIn.faults = undefined;
    const total = standIn.totalRequests;
    expect(total).toBeGreaterThan(100);
    for (const j of jobs) {
      const doc = (await readJob(store, j.projectId, j.jobId))!;
      expect(doc.status).toBe('completed');
      expect(doc.attempts.filter((a) => a.outcome === 'completed')).toHaveLength(1);
      expect(doc.attempts.filter((a) => a.outcome === 'running')).toEqual([]);
    }
    const results: string[] = [];
    for await (const e of listAll(store, 'results/faults/')) results.push(e.name);
    expect(results.sort()).toEqual(jobs.map((j) => `${j.jobId}.png`).sort());
  });
});
