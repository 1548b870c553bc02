// Local API server entry: `npm run api`.
import { createContext } from '../api/_lib/context.js';
import { loadConfig } from '../shared/config.js';
import { onShutdownSignal } from '../shared/shutdown.js';
import { createApiApp } from './app.js';

const config = loadConfig(process.env);
const ctx = createContext(config);
// Long-running, so checked at start; a function instance (Vercel) checks beside its first listing.
await ctx.store.verify?.().catch((err: unknown) => {
  ctx.log.fatal({ err }, 'store check failed at start: stopping');
  process.stderr.write(`render-jobs api: ${(err as Error).message}\n`);
  process.exit(1);
});
const app = await createApiApp(ctx);
const server = app.listen(config.port, () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  ctx.log.info({ port, store: config.store.kind, workerUrl: config.workerUrl ?? 'none (inline)' }, 'api listening');
});

onShutdownSignal(ctx.log, async (signal) => {
  ctx.log.info({ signal }, 'api stopping');
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
