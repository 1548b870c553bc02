// One msw server per test process, intercepting fetch for the stand-ins a test registers; every
// other request (the loopback API and workers under test) passes through untouched.
import type { RequestHandler } from 'msw';
import { setupServer, type SetupServer } from 'msw/node';

let server: SetupServer | undefined;

/** Adds handlers in front of those already registered; the first call starts interception. */
export function interceptWith(handlers: RequestHandler[]): void {
  if (!server) {
    server = setupServer();
    server.listen({ onUnhandledRequest: 'bypass' });
  }
  server.use(...handlers);
}
