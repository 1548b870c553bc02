// What a job may ask for: a webhook URL and the events to send. Apart from the sender so that the
// job model does not pull the HTTP client into every function.
import { z } from 'zod';

export const WEBHOOK_EVENTS = ['started', 'progress', 'completed', 'failed', 'cancelled'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export const WebhookSpec = z.strictObject({
  url: z.string().max(2048),
  events: z.array(z.enum(WEBHOOK_EVENTS)).min(1).default(['completed', 'failed', 'cancelled']),
});
