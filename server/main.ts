// Local API server entry: `npm run api`.
import { createContext } from '../api/_lib/context.js';
import { loadConfig } from '../shared/config.js';
import { onShutdownSignal } from '../shared/shutdown.js';
import { createApiApp } from './app.js';

const config = loadConfig(process.env);
const ctx = createContext(config);
const app = await createApiApp(ctx);
// No host: every interface, IPv6 and IPv4 (Node's default); see HOST in shared/config.ts.
const server = app.listen({ port: config.port, host: config.listen.host ?? undefined }, () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  ctx.log.info({ port, host: config.listen.host, store: config.store.kind, workerUrl: config.workerUrl ?? 'none (inline)' }, 'api listening');
});

onShutdownSignal(ctx.log, async (signal) => {
  ctx.log.info({ signal }, 'api stopping');
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
