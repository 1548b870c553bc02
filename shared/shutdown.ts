// One clean stop on SIGTERM or SIGINT; a second signal, pressed later, exits at once.
import type { Logger } from './logger.js';
import { SECOND } from './time.js';

/**
 * Signals this soon after the first are the same keypress: under `npm run worker` a Ctrl-C reaches
 * the worker from the terminal, from npm and from tsx (each forwards it), all within milliseconds.
 * A person pressing Ctrl-C again to cut a drain short does so well after this.
 */
export const SAME_KEYPRESS_MS = 1 * SECOND;

export function onShutdownSignal(log: Logger, stop: (signal: string) => Promise<void>): void {
  let firstAt: number | null = null;
  const handle = (signal: NodeJS.Signals) => {
    if (firstAt !== null) {
      if (Date.now() - firstAt < SAME_KEYPRESS_MS) {
        log.debug({ signal }, 'same signal again (forwarded by npm or tsx): still stopping cleanly');
        return;
      }
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    firstAt = Date.now();
    stop(signal).then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handle);
  process.on('SIGINT', handle);
}
