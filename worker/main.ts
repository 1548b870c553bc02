// Worker process entry (Railway: `node` runs this directly so SIGTERM reaches it, not npm).
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { configOrExit, listenOrExit } from '../shared/entry.js';
import { createLogger } from '../shared/logger.js';
import { selectProvider } from '../shared/providers/select.js';
import { openStore } from '../shared/store/open-store.js';
import { createWorkerApp } from './app.js';
import { ClaimLoop } from './claim-loop.js';
import { Pacing } from './pacing.js';
import { timedStore } from './timed-store.js';
import { startPruner } from './pruner.js';
import { startMetricsPublisher } from '../shared/metrics/publish.js';
import { RecentOutcomes } from '../shared/metrics/recent.js';
import { WebhookNotifier } from '../shared/webhooks/notifier.js';
import { onShutdownSignal } from '../shared/shutdown.js';
import { loadChargeHook } from '../shared/queue/charge-hook.js';

const config = configOrExit(process.env, 'worker');
const workerId = config.workerId ?? `${hostname().slice(0, 24)}-${process.pid}-${randomBytes(2).toString('hex')}`;
const log = createLogger({ level: config.logLevel, name: 'worker' }).child({ workerId });
const store = openStore(config);
// A misnamed Supabase bucket lists as empty: without this check the worker would idle on a queue it cannot see.
await store.verify?.().catch((err: unknown) => {
  log.fatal({ err }, 'store check failed at start: stopping');
  process.stderr.write(`render-jobs worker: ${(err as Error).message}\n`);
  process.exit(1);
});
const webhooks = config.webhooks.secret ? new WebhookNotifier(store, config.webhooks, log) : undefined;
const charge = await loadChargeHook(config.chargeHookModule);
const pacing = new Pacing(config.queue.concurrency, Date.now, config.workerPacing);
// Timed only when paced: the proxy costs each store call a little, a no-op job a few per cent.
const deps = { store: config.workerPacing ? timedStore(store, (ms) => pacing.observe(ms)) : store, queue: config.queue, log, now: Date.now, webhooks, charge };
const recent = new RecentOutcomes();
const loop = new ClaimLoop(deps, {
  workerId,
  concurrency: config.queue.concurrency,
  provider: selectProvider(config),
  signedUrlTtlS: config.signedUrlTtlS,
  recent,
  onActivity: () => metrics.nudge(),
  pacing,
});
const metrics = startMetricsPublisher(deps, {
  workerId,
  concurrency: config.queue.concurrency,
  active: () => loop.activeCount,
  recent,
  pendingTimes: () => loop.pendingTimes(),
});
const app = createWorkerApp({ loop, secret: config.workerSecret, workerId, log, allowedHosts: config.listen.allowedHosts });

// The API pokes the worker on WORKER_PORT too (unless WORKER_URL says otherwise): both must move together.
const { server, port } = await listenOrExit(app, config.workerPort, {
  host: config.listen.host,
  name: 'worker',
  variable: 'WORKER_PORT',
  hint: '(the API finds the worker there too, or set its WORKER_URL)',
});
log.info(
  { port, store: config.store.kind, dir: config.store.kind === 'fs' ? config.store.dir : undefined, concurrency: config.queue.concurrency },
  'worker listening',
);
loop.start();
void metrics.publish();
// Stores that notify (Postgres LISTEN/NOTIFY) wake the loop the moment a job is due; the poll stays.
const dueWatch = store.watch?.((job) => loop.poke(job), log);
const pruner = startPruner(deps, { intervalMs: config.pruneIntervalMs, retentionMs: config.retentionMs });

onShutdownSignal(log, async (signal) => {
  log.info({ signal, active: loop.activeCount, drainMs: config.queue.drainMs }, 'stopping: no new jobs, draining');
  server.close();
  pruner.stop();
  await dueWatch?.stop();
  await loop.stop(config.queue.drainMs);
  await metrics.stop();
  // Deliveries in flight get what is left of the drain window; undelivered ones are logged.
  await Promise.race([webhooks?.idle(), new Promise((r) => setTimeout(r, 5_000).unref())]);
  log.info('worker stopped');
});
