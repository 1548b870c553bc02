// One webhook delivery: a signed POST (Standard Webhooks: webhook-id, webhook-timestamp,
// webhook-signature, HMAC-SHA256 with a whsec_ secret), over a fresh connection whose peer address
// is checked when it connects, within one deadline, with no redirects. Anything but a 2xx answer
// read to its end is a failed delivery.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction, Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { isPrivateAddress, urlProblem, type WebhookPolicy } from './address-guard.js';

export interface DeliveryResult {
  ok: boolean;
  status: number | null;
  /** What the job's delivery log shows: never what a name resolves to or why a connect failed. */
  error: string | null;
  durationMs: number;
  /** The reason in full, for the server's log only. */
  detail?: string;
}

/**
 * The log is readable by whoever made the job, so every failure to reach the receiver reads the
 * same: a refused private address, an unknown name and a closed port must not tell apart.
 */
const UNREACHABLE = 'could not reach the receiver';

class PrivateTargetError extends Error {
  constructor(address: string) {
    super(`refused: the peer ${address} is a private address`);
  }
}

/** A `socket` listener that destroys the socket on connect when its peer is a private address. */
export function peerGuard(policy: WebhookPolicy): (socket: Socket) => void {
  return function checkPeer(socket) {
    if (policy.allowPrivate) return;
    socket.prependOnceListener('connect', () => {
      const peer = socket.remoteAddress ?? '';
      if (isPrivateAddress(peer)) socket.destroy(new PrivateTargetError(peer));
    });
  };
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
  // Names: every address DNS returns is checked before connecting (no connection to a private one).
  const lookup: LookupFunction = (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 4);
      const list = addresses as unknown as LookupAddress[];
      const bad = opts.policy.allowPrivate ? undefined : list.find((a) => isPrivateAddress(a.address));
      if (bad) return callback(new PrivateTargetError(bad.address), '', 4);
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
      callback(null, list[0]!.address, list[0]!.family);
    });
  };
  // Every connect, literals included (Node never calls `lookup` for an IP literal): the peer is
  // checked before the first byte (or TLS hello) is written. Prepended, so it runs before Node's own
  // connect listeners flush anything; `agent: false` makes every attempt a new, checked connection.
  const checkPeer = peerGuard(opts.policy);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<DeliveryResult>((resolve) => {
    let settled = false;
    let answered = false;
    const finish = (r: Omit<DeliveryResult, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve(done(r));
    };
    const req = send(
      url,
      {
        method: 'POST',
        lookup,
        agent: false,
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
        answered = true;
        const status = res.statusCode ?? 0;
        // The answer counts once it has arrived whole: a receiver that trickles its body holds the
        // attempt (and its socket) only until the deadline.
        res.resume();
        res.on('end', () => {
          if (status >= 200 && status < 300) finish({ ok: true, status, error: null });
          else if (status >= 300 && status < 400) finish({ ok: false, status, error: 'redirect (not followed)' });
          else finish({ ok: false, status, error: `HTTP ${status}` });
        });
        res.on('error', (err) => finish({ ok: false, status, error: 'the answer broke off', detail: err.message }));
      },
    );
    // One deadline for the whole attempt: connect, TLS, headers and body (a socket idle timeout
    // alone lets a receiver sending a byte a second hold a delivery forever).
    const deadline = setTimeout(() => {
      finish({ ok: false, status: null, error: `no complete answer within ${opts.timeoutMs} ms` });
      req.destroy();
    }, opts.timeoutMs);
    req.on('socket', checkPeer);
    req.on('error', (err) => finish({ ok: false, status: null, error: answered ? 'the answer broke off' : UNREACHABLE, detail: err.message }));
    req.end(msg.payload);
  });
}
