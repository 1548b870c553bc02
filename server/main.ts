// Local API server entry: `npm run api`.
import { createContext } from '../shared/use-cases/context.js';
import { configOrExit, listenOrExit } from '../shared/entry.js';
import { onShutdownSignal } from '../shared/shutdown.js';
import { createApiApp } from './app.js';

const config = configOrExit(process.env, 'api');
const ctx = createContext(config);
// Long-running, so checked at start; a function instance (Vercel) checks beside its first listing.
await ctx.store.verify?.().catch((err: unknown) => {
  ctx.log.fatal({ err }, 'store check failed at start: stopping');
  process.stderr.write(`render-jobs api: ${(err as Error).message}\n`);
  process.exit(1);
});
const app = await createApiApp(ctx);
const { server, port } = await listenOrExit(app, config.port, { host: config.listen.host, name: 'api', variable: 'PORT' });
ctx.log.info({ port, host: config.listen.host, store: config.store.kind, workerUrl: config.workerUrl ?? 'none (inline)' }, 'api listening');

onShutdownSignal(ctx.log, async (signal) => {
  ctx.log.info({ signal }, 'api stopping');
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
