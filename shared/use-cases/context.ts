// What every use case works with: config, store, queue deps, logger. Built once per process (a
// function instance, the local server) from the environment. The renderer is not here: only inline
// runs render, and loading it everywhere would slow every cold start.
import { type Config } from '../config.js';
import { createLogger, type Logger } from '../logger.js';
import type { QueueDeps } from '../queue/deps.js';
import type { ObjectStore } from '../store/object-store.js';
import { openStore } from '../store/open-store.js';
import { WebhookNotifier } from '../webhooks/notifier.js';

export interface AppContext {
  config: Config;
  store: ObjectStore;
  log: Logger;
  queue: QueueDeps;
  /** The request being served (`x-request-id`): on its log lines and the history entries it causes. */
  requestId?: string;
}

export function createContext(config: Config, log = createLogger({ level: config.logLevel, name: 'api' })): AppContext {
  const store = openStore(config);
  const webhooks = config.webhooks.secret ? new WebhookNotifier(store, config.webhooks, log) : undefined;
  return { config, store, log, queue: { store, queue: config.queue, log, now: Date.now, webhooks } };
}
