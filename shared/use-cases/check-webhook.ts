// A webhook a request asks for is checked before the job exists: webhooks must be configured, and
// the URL must pass the rules that need no DNS (the addresses it resolves to are checked on delivery).
import { AppError } from '../errors.js';
import { urlProblem } from '../webhooks/address-guard.js';
import type { AppContext } from './context.js';

export function checkWebhook(ctx: AppContext, url: string): void {
  if (!ctx.config.webhooks.secret) {
    throw new AppError('webhooks_disabled', 'This server sends no webhooks: set WEBHOOK_SECRET (whsec_…) to enable them.', { status: 400 });
  }
  const problem = urlProblem(url, ctx.config.webhooks.policy);
  if (!problem) return;
  // A local receiver is the usual first try: say how development allows it.
  const local = /^points at /.test(problem) ? ' In development, allow local and private targets with WEBHOOK_ALLOW_PRIVATE=true.' : '';
  throw new AppError('invalid_webhook', `The webhook URL ${problem}.${local}`, { status: 400, details: { url } });
}
