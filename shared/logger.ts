// One pino logger per process, passed down; shared code never writes to the console.
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

export function createLogger(opts: { level: string; name: string }, destination?: DestinationStream): Logger {
  return pino(
    {
      name: opts.name,
      level: opts.level,
      redact: {
        paths: ['req.headers.authorization', 'headers.authorization', '*.workerSecret', 'workerSecret'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
