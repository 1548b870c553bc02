// Webhook targets must not turn the worker into a way into the network it runs in: loopback,
// private, link-local, carrier-grade NAT, multicast and reserved addresses are refused — checked on
// the addresses DNS actually returns, at connect time (so a name cannot resolve safe, then not).
import { BlockList, isIP } from 'node:net';

const blocked = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  blocked.addSubnet(net, bits, 'ipv4');
// IPv6 forms that carry (or route to) an IPv4 address are refused whole, whichever IPv4 address they
// carry: IPv4-compatible ::a.b.c.d (::/96), IPv4-translated ::ffff:0:a.b.c.d, NAT64 (well-known and
// local-use 64:ff9b:1::/48), 6to4 (2002::/16), Teredo (2001::/32); also discard-only, site-local
// (fec0::/10, deprecated but still routed by some stacks), ULA, link-local, multicast, documentation.
for (const [net, bits] of [
  ['::', 96],
  ['::ffff:0:0:0', 96],
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001::', 32],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const)
  blocked.addSubnet(net, bits, 'ipv6');

/** True for an address a webhook may not reach (unless private targets are allowed by config). */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  if (family === 6) {
    // ::ffff:10.0.0.1 is 10.0.0.1.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return blocked.check(mapped[1]!, 'ipv4');
    return blocked.check(address, 'ipv6');
  }
  return true; // not an address at all: refuse
}

export interface WebhookPolicy {
  /** Only https (production), or http too. */
  requireHttps: boolean;
  /** Loopback and private targets allowed (local development and tests). */
  allowPrivate: boolean;
}

/** The checks that need no DNS: scheme, credentials, literal addresses, localhost. Null when fine. */
export function urlProblem(raw: string, policy: WebhookPolicy): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'not a URL';
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && !policy.requireHttps)) return policy.requireHttps ? 'must be https' : 'must be http(s)';
  if (url.username || url.password) return 'must not carry credentials';
  if (policy.allowPrivate) return null;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  // `localhost.` is localhost to DNS; a fully-qualified name is never needed for a webhook.
  if (host.endsWith('.')) return 'must not end in a dot';
  if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.internal') || host.endsWith('.local')) return 'points at a local host';
  if (isIP(host) && isPrivateAddress(host)) return 'points at a private, loopback or link-local address';
  return null;
}
