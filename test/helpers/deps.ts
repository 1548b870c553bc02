// Queue dependencies for tests: a silent logger, test-sized timings and a clock tests can move.
import { pino } from 'pino';
import type { Config } from '../../shared/config.js';
import type { QueueDeps } from '../../shared/queue/deps.js';
import type { ObjectStore } from '../../shared/store/object-store.js';

export const silentLog = pino({ level: 'silent' });

export const testQueue: Config['queue'] = {
  leaseMs: 3000,
  heartbeatMs: 100,
  pollIntervalMs: 50,
  concurrency: 4,
  drainMs: 2000,
  maxAttempts: 3,
  retryBaseMs: 1000,
  retryMaxMs: 8000,
  // On the real server (racy create-only) a concurrent create can land ~100 ms late (p90 108 ms):
  // the production default settle, not a stand-in's.
  claimSettleMs: ['supabase-real', 'supabase-live'].includes(process.env.STORE ?? '') ? 250 : 20,
  // Caps are off unless a test turns them on; deadlines are far away.
  maxRunning: 0,
  maxRunningPerOwner: 0,
  startDeadlineMs: 60 * 60_000,
  runDeadlineMs: 10 * 60_000,
};

/** A clock that reads the real time plus an offset the test can advance. */
export class TestClock {
  offsetMs = 0;
  now = () => Date.now() + this.offsetMs;
  advance(ms: number) {
    this.offsetMs += ms;
  }
}

/**
 * A racy store (create-only not atomic) decides winners by reading back after the settle: a create
 * that lands later than that makes a second winner. 20 ms holds for the stand-in on an idle machine,
 * not on a loaded CI one (seen: a duplicate create waiting on a record that lost); 100 ms does.
 */
const RACY_STAND_IN_SETTLE_MS = 100;

export function testDeps(store: ObjectStore, opts: { queue?: Partial<Config['queue']>; clock?: TestClock } = {}): QueueDeps {
  const settle = store.capabilities.atomicCreate ? {} : { claimSettleMs: Math.max(testQueue.claimSettleMs, RACY_STAND_IN_SETTLE_MS) };
  return { store, queue: { ...testQueue, ...settle, ...opts.queue }, log: silentLog, now: opts.clock?.now ?? Date.now };
}
