// The local API server: express mounting the same api/ files Vercel deploys, with Vercel's request
// helpers (`req.query`, lazily parsed `req.body`) so the handlers cannot tell the difference.
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { type AppContext, CONTEXT } from '../api/_lib/context.js';
import type { ApiRequest, ApiResponse } from '../api/_lib/types.js';
import { jsonErrors, notFound } from '../shared/http/express-errors.js';
import { hostCheck, securityHeaders } from '../shared/http/guard.js';
import { grantedUpload } from '../shared/uploads/upload-url.js';
import { ensureWebBuilt, PUBLIC_DIR } from '../scripts/build-web.js';
import { discoverRoutes } from './routes.js';

const API_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'api');

export async function createApiApp(ctx: AppContext) {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false); // handlers send their own ETags
  app.use(hostCheck(ctx.config.listen.allowedHosts), securityHeaders);
  // Raw bytes, size-capped like a platform would; parsing is the handler's business, as on Vercel.
  // An upload (filesystem store only; Supabase takes them directly) is read only once its URL is
  // known genuine, and only up to the size declared for it: an anonymous PUT costs no memory.
  app.put('/api/uploads/:uploadId', function uploadGate(req, res, next) {
    try {
      const ref = grantedUpload(req.params.uploadId, req.query, req.headers, ctx.config.uploads.signingKey);
      express.raw({ type: () => true, limit: Math.min(ref.bytes, ctx.config.uploads.maxBytes) })(req, res, next);
    } catch (err) {
      next(err);
    }
  });
  // Once callers need credentials, a request without one is answered 401 by its handler: its body
  // is never read (a wrong credential costs at most MAX_BODY_BYTES, read before the handler checks it).
  const credentialsNeeded = Boolean(ctx.config.auth.apiKey || ctx.config.auth.jwt);
  const readBody = express.raw({ type: () => true, limit: ctx.config.maxBodyBytes });
  app.use('/api', function bodyOfCallers(req, res, next) {
    if (credentialsNeeded && !/^Bearer \S/i.test(req.headers.authorization ?? '')) return next();
    readBody(req, res, next);
  });
  for (const r of await discoverRoutes(API_DIR)) {
    app.all(r.path, function vercelAdapter(req, res, next) {
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      Object.defineProperty(req, 'query', { value: { ...req.query }, writable: true, configurable: true });
      Object.defineProperty(req, 'body', { get: () => vercelBody(raw, req.headers['content-type']), configurable: true });
      Object.defineProperty(req, CONTEXT, { value: ctx });
      r.handler(req as unknown as ApiRequest, res as unknown as ApiResponse).catch(next);
    });
  }
  // The dashboard at `/` (Vercel serves the same public/ folder).
  await ensureWebBuilt();
  app.use(express.static(PUBLIC_DIR, { index: 'index.html', maxAge: 0 }));
  app.use(notFound);
  app.use(jsonErrors(ctx.log, ctx.config.maxBodyBytes));
  return app;
}

/** As @vercel/node: JSON by content type (throwing on malformed input), text as string, else Buffer. */
function vercelBody(raw: Buffer, contentType: string | undefined): unknown {
  if (raw.length === 0) return undefined;
  const type = (contentType ?? '').toLowerCase();
  if (/^application\/(?:[\w.+-]+\+)?json\b/.test(type)) return JSON.parse(raw.toString('utf8'));
  if (type.startsWith('text/')) return raw.toString('utf8');
  return raw;
}
