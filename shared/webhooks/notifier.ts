// Webhooks for a job's events, sent from whichever process makes the change (the worker; the API
// for a pending job's cancel). Deliveries never block the render: they run on their own chain per
// job, retried with backoff, and each attempt's outcome is kept in `webhooks/{jobId}.json` (one
// writer: the process delivering), returned with the job.
import { randomUUID } from 'node:crypto';
import type { JobDocument } from '../job/document.js';
import type { Logger } from '../logger.js';
import type { ObjectStore } from '../store/object-store.js';
import type { WebhookPolicy } from './address-guard.js';
import { deliverOnce } from './deliver.js';
import { type DeliveryRecord, readDeliveries, webhookLogKey } from './deliveries.js';
import type { WebhookEvent } from './spec.js';

const MAX_RECORDS = 100;

export interface WebhookConfig {
  /** `whsec_…`; null: webhooks are off. */
  secret: string | null;
  policy: WebhookPolicy;
  timeoutMs: number;
  maxAttempts: number;
  /** Waits before each retry; the last repeats. */
  backoffMs: number[];
}

export class WebhookNotifier {
  private readonly chains = new Map<string, Promise<void>>();

  constructor(
    private readonly store: ObjectStore,
    private readonly config: WebhookConfig,
    private readonly log: Logger,
  ) {}

  /** Queues the event's delivery if the job asked for it; returns at once. */
  notify(doc: JobDocument, event: WebhookEvent): void {
    const spec = doc.webhook;
    if (!spec || !spec.events.includes(event) || !this.config.secret) return;
    const timestamp = new Date();
    const payload = JSON.stringify({ type: `job.${event}`, timestamp: timestamp.toISOString(), data: { job: withoutInputs(doc) } });
    const msg = { id: `msg_${randomUUID()}`, timestamp, payload };
    const previous = this.chains.get(doc.jobId) ?? Promise.resolve();
    const next = previous
      .then(() => this.deliver(doc.jobId, spec.url, event, msg))
      .catch((err) => this.log.warn({ err, jobId: doc.jobId }, 'webhook delivery failed'));
    this.chains.set(doc.jobId, next);
    void next.finally(() => this.chains.get(doc.jobId) === next && this.chains.delete(doc.jobId));
  }

  /** Deliveries are queued or under way. */
  get busy(): boolean {
    return this.chains.size > 0;
  }

  /** Resolves once every queued delivery has ended (shutdown; serverless waitUntil). */
  async idle(): Promise<void> {
    while (this.chains.size > 0) await Promise.all([...this.chains.values()]);
  }

  private async deliver(jobId: string, url: string, event: WebhookEvent, msg: { id: string; timestamp: Date; payload: string }): Promise<void> {
    for (let attempt = 1; attempt <= this.config.maxAttempts; attempt++) {
      // The same webhook-id on every try: receivers can drop duplicates.
      const { detail, ...result } = await deliverOnce(url, msg, { secret: this.config.secret!, policy: this.config.policy, timeoutMs: this.config.timeoutMs });
      if (detail) this.log.warn({ jobId, attempt, detail }, 'webhook attempt failed');
      await this.record(jobId, { id: msg.id, event, attempt, at: new Date().toISOString(), ...result });
      if (result.ok || (result.error?.startsWith('refused') ?? false)) return;
      if (attempt < this.config.maxAttempts) {
        const wait = this.config.backoffMs[Math.min(attempt - 1, this.config.backoffMs.length - 1)]!;
        await new Promise((r) => setTimeout(r, wait * (0.75 + Math.random() / 2)));
      }
    }
  }

  private async record(jobId: string, rec: DeliveryRecord): Promise<void> {
    try {
      const log = await readDeliveries(this.store, jobId);
      await this.store.put(webhookLogKey(jobId), JSON.stringify({ deliveries: [...log, rec].slice(-MAX_RECORDS) }), { contentType: 'application/json' });
    } catch (err) {
      this.log.warn({ err, jobId }, 'could not record a webhook delivery');
    }
  }
}

function withoutInputs(doc: JobDocument) {
  const { conceptInputs: _inputs, history: _history, ...rest } = doc;
  return rest;
}
