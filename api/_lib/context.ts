// The context a handler runs with: the one the local server attached to the request, else one built
// from the environment once per function instance.
import { loadConfig } from '../../shared/config.js';
import { type AppContext, createContext } from '../../shared/use-cases/context.js';

export type { AppContext };
export const CONTEXT = Symbol.for('render-jobs.context');

let fromEnv: AppContext | undefined;

export function contextOf(req: object): AppContext {
  const attached = (req as { [CONTEXT]?: AppContext })[CONTEXT];
  if (attached) return attached;
  fromEnv ??= createContext(loadConfig(process.env));
  return fromEnv;
}
