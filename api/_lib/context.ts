// What a handler works with: config, store, queue deps, logger. Built once per function instance
// from the environment; the local server can attach its own to each request. The renderer is not
// here: only /process (inline mode) renders, and loading it everywhere would slow every cold start.
import { type Config, loadConfig } from '../../shared/config.js';
import { createLogger, type Logger } from '../../shared/logger.js';
import type { QueueDeps } from '../../shared/queue/deps.js';
import type { ObjectStore } from '../../shared/store/object-store.js';
import { openStore } from '../../shared/store/open-store.js';
import { WebhookNotifier } from '../../shared/webhooks/notifier.js';

export interface AppContext {
  config: Config;
  store: ObjectStore;
  log: Logger;
  queue: QueueDeps;
}

export const CONTEXT = Symbol.for('render-jobs.context');

export function createContext(config: Config, log = createLogger({ level: config.logLevel, name: 'api' })): AppContext {
  const store = openStore(config);
  const webhooks = config.webhooks.secret ? new WebhookNotifier(store, config.webhooks, log) : undefined;
  return { config, store, log, queue: { store, queue: config.queue, log, now: Date.now, webhooks } };
}

let fromEnv: AppContext | undefined;

export function contextOf(req: object): AppContext {
  const attached = (req as { [CONTEXT]?: AppContext })[CONTEXT];
  if (attached) return attached;
  fromEnv ??= createContext(loadConfig(process.env));
  return fromEnv;
}
