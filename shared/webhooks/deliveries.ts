// The outcome of every webhook delivery attempt of a job, kept in `webhooks/{jobId}.json`.
import { z } from 'zod';
import { parseJsonOrNull } from '../json.js';
import { keys } from '../store/keys.js';
import type { ObjectStore } from '../store/object-store.js';
import { WEBHOOK_EVENTS } from './spec.js';

export const DeliveryRecord = z.object({
  id: z.string(),
  event: z.enum(WEBHOOK_EVENTS),
  attempt: z.number().int().min(1),
  at: z.string(),
  ok: z.boolean(),
  status: z.number().int().nullable(),
  error: z.string().nullable(),
  durationMs: z.number(),
});
export type DeliveryRecord = z.output<typeof DeliveryRecord>;
const DeliveryLog = z.object({ deliveries: z.array(DeliveryRecord) });

export const webhookLogKey = keys.webhookLog;

export async function readDeliveries(store: ObjectStore, jobId: string): Promise<DeliveryRecord[]> {
  const obj = await store.get(webhookLogKey(jobId));
  const parsed = DeliveryLog.safeParse(obj ? parseJsonOrNull(obj.body) : null);
  return parsed.success ? parsed.data.deliveries : [];
}
