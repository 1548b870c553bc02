// What a process entry point (api, worker, cli) does when it cannot start: one message a person can
// act on, on stderr, and exit code 1 — never a stack trace, and never a "listening" line for a port
// it does not hold.
import { createServer, type RequestListener, type Server } from 'node:http';
import { type Config, loadConfig } from './config.js';
import { ConfigError } from './errors.js';

/** Prints why and exits 1. */
export function exitWith(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

/** The configuration, or the list of bad variables and exit 1. */
export function configOrExit(env: Record<string, string | undefined>, who: string): Config {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) exitWith(`${who}: ${err.message}`);
    throw err;
  }
}

/**
 * Listens on `port` and resolves with the bound port. A port already taken (or not allowed) exits 1
 * naming the port and the variable that moves it: express 5 hands `listen` errors to the callback
 * it calls on success, so without this a busy port looked like a successful start.
 */
export function listenOrExit(
  app: RequestListener,
  port: number,
  who: { name: string; variable: string; hint?: string; host?: string | null },
): Promise<{ server: Server; port: number }> {
  const server = createServer(app);
  return new Promise((resolve) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        exitWith(
          `${who.name}: port ${port} is already in use (another ${who.name} still running?). Stop that process, or set ${who.variable} to a free port${who.hint ? ` ${who.hint}` : ''}, e.g. ${who.variable}=${port + 10} npm run ${who.name}.`,
        );
      }
      if (err.code === 'EACCES') exitWith(`${who.name}: not allowed to listen on port ${port}; set ${who.variable} to a port above 1023.`);
      exitWith(`${who.name}: cannot listen on port ${port}: ${err.message}`);
    });
    // No host: every interface, IPv6 and IPv4 (Node's default); see HOST in shared/config.ts.
    server.listen({ port, host: who.host ?? undefined }, () => {
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address ? address.port : port });
    });
  });
}
