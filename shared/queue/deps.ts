// What every queue operation needs: the store, the queue settings, a logger and a clock.
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { ObjectStore } from '../store/object-store.js';
import type { WebhookNotifier } from '../webhooks/notifier.js';

export interface QueueDeps {
  store: ObjectStore;
  queue: Config['queue'];
  log: Logger;
  /** Milliseconds since the epoch; injectable so lease expiry can be tested without sleeping. */
  now: () => number;
  /** Sends the webhooks jobs ask for (absent: none are sent). */
  webhooks?: WebhookNotifier;
  /** Bills a completed job; guarded so it runs once per job (see charge.ts). */
  charge?: ChargeHook;
}

/** Leeway for clocks that disagree between machines: a lease counts as expired only this long after its time. */
export const CLOCK_SKEW_MS = 1000;

/**
 * Called once per completed job that costs credits. `idempotencyKey` (the job id) is for the
 * billing system: pass it on, so that even a hook retried by hand cannot bill twice.
 */
export type ChargeHook = (charge: {
  idempotencyKey: string;
  jobId: string;
  projectId: string;
  ownerId: string | null;
  kind: string;
  credits: number;
  completedAt: string;
}) => Promise<void>;
