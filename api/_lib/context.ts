// What a handler works with: config, store, queue deps, renderer, logger. Built once per function
// instance from the environment; the local server can attach its own to each request.
import { type Config, loadConfig } from '../../shared/config.js';
import { createLogger, type Logger } from '../../shared/logger.js';
import type { QueueDeps } from '../../shared/queue/deps.js';
import type { RenderProvider } from '../../shared/providers/provider.js';
import { selectProvider } from '../../shared/providers/select.js';
import type { ObjectStore } from '../../shared/store/object-store.js';
import { openStore } from '../../shared/store/open-store.js';

export interface AppContext {
  config: Config;
  store: ObjectStore;
  log: Logger;
  provider: RenderProvider;
  queue: QueueDeps;
}

export const CONTEXT = Symbol.for('render-jobs.context');

export function createContext(config: Config, log = createLogger({ level: config.logLevel, name: 'api' })): AppContext {
  const store = openStore(config);
  return { config, store, log, provider: selectProvider(config), queue: { store, queue: config.queue, log, now: Date.now } };
}

let fromEnv: AppContext | undefined;

export function contextOf(req: object): AppContext {
  const attached = (req as { [CONTEXT]?: AppContext })[CONTEXT];
  if (attached) return attached;
  fromEnv ??= createContext(loadConfig(process.env));
  return fromEnv;
}
