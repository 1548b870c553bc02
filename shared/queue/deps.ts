// What every queue operation needs: the store, the queue settings, a logger and a clock.
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { ObjectStore } from '../store/object-store.js';
import type { WebhookNotifier } from '../webhooks/notifier.js';
import type { ChargeHook } from './charge.js';

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
