// The worker's HTTP face: `POST /process` (a poke: look for work now) and `GET /healthz`.
import express from 'express';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { z } from 'zod';
import { UnauthorizedError, ValidationError } from '../shared/errors.js';
import { jsonErrors, notFound } from '../shared/http/express-errors.js';
import { hostCheck, securityHeaders } from '../shared/http/guard.js';
import { JobId, ProjectId } from '../shared/ids.js';
import type { Logger } from '../shared/logger.js';
import { bearerMatches } from '../shared/secrets.js';
import type { ClaimLoop } from './claim-loop.js';

const POKE_BODY_LIMIT_BYTES = 4096;
const PokeBody = z.object({ jobId: JobId, projectId: ProjectId }).partial();

export function createWorkerApp(opts: { loop: ClaimLoop; secret: string | null; workerId: string; log: Logger; allowedHosts?: readonly string[] | null }) {
  const app = express();
  app.use(hostCheck(opts.allowedHosts ?? null), securityHeaders);
  // How late timers fire: a worker juggling many renders must stay responsive to its heartbeats.
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  app.disable('x-powered-by');

  app.get('/healthz', function healthz(req, res) {
    const stopping = opts.loop.isStopping;
    res.setHeader('Cache-Control', 'no-store');
    // A health check needs only the answer; the worker's name (host, pid), load and memory are for
    // whoever holds the worker secret (or for local use, where none is set).
    if (opts.secret && !bearerMatches(req.headers.authorization, opts.secret)) {
      res.status(stopping ? 503 : 200).json({ ok: !stopping, stopping });
      return;
    }
    res.status(stopping ? 503 : 200).json({
      ok: !stopping,
      workerId: opts.workerId,
      active: opts.loop.activeCount,
      stopping,
      pacing: opts.loop.pacingState,
      lostClaims: opts.loop.lostClaims,
      rssMb: Math.round(process.memoryUsage.rss() / 2 ** 20),
      eventLoopDelayMs: { p50: delay.percentile(50) / 1e6, p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 },
    });
  });

  app.post('/process', express.json({ limit: POKE_BODY_LIMIT_BYTES, strict: true }), function poke(req, res) {
    if (opts.secret && !bearerMatches(req.headers.authorization, opts.secret)) throw new UnauthorizedError();
    const body = PokeBody.safeParse(req.body ?? {});
    if (!body.success) throw new ValidationError('Invalid poke body.', body.error.issues);
    const { jobId, projectId } = body.data;
    opts.loop.poke(jobId && projectId ? { jobId, projectId } : undefined);
    res.status(202).json({ accepted: true, workerId: opts.workerId });
  });

  app.use(notFound);
  app.use(jsonErrors(opts.log, POKE_BODY_LIMIT_BYTES));
  return app;
}
