// One webhook delivery: a signed POST (Standard Webhooks: webhook-id, webhook-timestamp,
// webhook-signature, HMAC-SHA256 with a whsec_ secret), over a connection whose resolved address is
// checked, with a time limit and no redirects. Anything but a 2xx answer is a failed delivery.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { isPrivateAddress, urlProblem, type WebhookPolicy } from './address-guard.js';

export interface DeliveryResult {
  ok: boolean;
  status: number | null;
  error: string | null;
  durationMs: number;
}

export async function deliverOnce(
  target: string,
  msg: { id: string; timestamp: Date; payload: string },
  opts: { secret: string; policy: WebhookPolicy; timeoutMs: number },
): Promise<DeliveryResult> {
  const started = Date.now();
  const done = (r: Omit<DeliveryResult, 'durationMs'>): DeliveryResult => ({ ...r, durationMs: Date.now() - started });
  const problem = urlProblem(target, opts.policy);
  if (problem) return done({ ok: false, status: null, error: `refused: the URL ${problem}` });
  const url = new URL(target);
  const signature = new Webhook(opts.secret).sign(msg.id, msg.timestamp, msg.payload);
  // Every address the name resolves to is checked when the socket connects.
  const lookup: LookupFunction = (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 4);
      const list = addresses as unknown as LookupAddress[];
      const bad = opts.policy.allowPrivate ? undefined : list.find((a) => isPrivateAddress(a.address));
      if (bad) return callback(Object.assign(new Error(`refused: ${hostname} resolves to ${bad.address}, a private address (WEBHOOK_ALLOW_PRIVATE=true allows it in development)`), { code: 'EPRIVATE' }), '', 4);
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
      callback(null, list[0]!.address, list[0]!.family);
    });
  };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<DeliveryResult>((resolve) => {
    const req = send(
      url,
      {
        method: 'POST',
        lookup,
        timeout: opts.timeoutMs,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(msg.payload),
          'user-agent': 'render-jobs-webhooks/1',
          'webhook-id': msg.id,
          'webhook-timestamp': String(Math.floor(msg.timestamp.getTime() / 1000)),
          'webhook-signature': signature,
        },
      },
      (res) => {
        res.resume(); // the body does not matter; read it so the socket is freed
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve(done({ ok: true, status, error: null }));
        else if (status >= 300 && status < 400) resolve(done({ ok: false, status, error: `redirect to ${res.headers.location ?? '?'} (not followed)` }));
        else resolve(done({ ok: false, status, error: `HTTP ${status}` }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)));
    req.on('error', (err) => resolve(done({ ok: false, status: null, error: err.message })));
    req.end(msg.payload);
  });
}
