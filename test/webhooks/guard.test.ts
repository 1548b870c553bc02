// Issue 12, webhooks: the IPv6 forms that reach IPv4 or local networks, and names with a trailing
// dot, are refused when a job asks for them; every connection's peer is checked as it connects
// (IP literals included: Node never calls `lookup` for them); the delivery log tells nothing about
// the network; one deadline bounds a whole attempt. Each case notes what happened before.
import { request } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { urlProblem } from '../../shared/webhooks/address-guard.js';
import { deliverOnce, peerGuard } from '../../shared/webhooks/deliver.js';
import { startApi } from '../helpers/api.js';
import { exampleBody } from '../helpers/concept.js';
import { tempDir } from '../helpers/stores.js';

const SECRET = `whsec_${Buffer.from('render-jobs-test-webhook-secret!').toString('base64')}`;
const strict = { requireHttps: false, allowPrivate: false };
const msg = () => ({ id: 'msg_1', timestamp: new Date(), payload: JSON.stringify({ type: 'job.completed' }) });

/** A TCP server that records what it receives and answers through `onSocket`. */
async function tcpServer(onSocket: (socket: Socket) => void = () => undefined) {
  const received: Buffer[] = [];
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('data', (d) => received.push(d));
    socket.on('error', () => undefined);
    onSocket(socket);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    received,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

describe('webhook guard', () => {
  const refusedLiterals = ['[::ffff:0:127.0.0.1]', '[::127.0.0.1]', '[64:ff9b:1::a00:1]', '[2002:7f00:1::]', '[fec0::1]'];

  it.each(refusedLiterals)('refuses http://%s/ when a job asks for it (before: accepted)', async (host) => {
    expect(urlProblem(`https://${host}/hook`, strict)).toMatch(/private/);
  });

  it.each(['localhost.', 'metadata.google.internal.', 'example.com.'])('refuses the trailing-dot name %s (before: accepted)', (host) => {
    expect(urlProblem(`https://${host}/hook`, strict)).toBe('must not end in a dot');
  });

  it('answers those at job creation with 400 invalid_webhook', async () => {
    const tmp = await tempDir();
    const api = await startApi({ JOBS_DIR: tmp.dir, WORKER_URL: 'none', WEBHOOK_SECRET: SECRET });
    try {
      for (const url of [...refusedLiterals.map((h) => `http://${h}/hook`), 'http://localhost./hook']) {
        const res = await fetch(`${api.url}/api/jobs/render`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ ...exampleBody, projectId: 'hooks', webhook: { url } }),
        });
        expect([url, res.status]).toEqual([url, 400]);
      }
    } finally {
      await api.close();
      await tmp.cleanup();
    }
  });

  it('checks the peer of a connection to an IP literal before a byte is sent (before: lookup only, never called for literals)', async () => {
    const server = await tcpServer();
    try {
      const error = await new Promise<Error>((resolve) => {
        const req = request({ host: '127.0.0.1', port: server.port, method: 'POST', agent: false, path: '/hook' });
        req.on('socket', peerGuard(strict));
        req.on('error', resolve);
        req.end('{"secret":"payload"}');
      });
      expect(error.message).toMatch(/private address/);
      expect(Buffer.concat(server.received).length).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('keeps the delivery log free of what a name resolves to (before: "refused: vm resolves to 127.0.0.1")', async () => {
    const server = await tcpServer();
    try {
      const byName = await deliverOnce(`http://no-such-host.invalid:${server.port}/hook`, msg(), { secret: SECRET, policy: strict, timeoutMs: 2_000 });
      const byLoopbackName = await deliverOnce(`http://${(await import('node:os')).hostname()}:${server.port}/hook`, msg(), {
        secret: SECRET,
        policy: strict,
        timeoutMs: 2_000,
      });
      // An unknown name and a name that resolves to loopback read the same in the log.
      expect(byName.error).toBe('could not reach the receiver');
      expect(byLoopbackName.error).toBe('could not reach the receiver');
      // The full reason goes to the server's log only (the notifier drops `detail` from the record).
      const { detail: _forTheLog, ...recorded } = byLoopbackName;
      expect(JSON.stringify(recorded)).not.toMatch(/127\.0\.0\.1|::1|resolves|private/);
      expect(Buffer.concat(server.received).length).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('bounds a whole attempt by one deadline, headers and body (before: a trickling receiver held it 25 s with a 2 s limit)', async () => {
    const answer = 'HTTP/1.1 200 OK\r\nX-Slow: ' + 'a'.repeat(200) + '\r\n\r\n';
    const trickle = await tcpServer((socket) => {
      let i = 0;
      const timer = setInterval(() => (i < answer.length ? socket.write(answer[i++]!) : clearInterval(timer)), 50);
      socket.on('close', () => clearInterval(timer));
    });
    const slowBody = await tcpServer((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n');
      const timer = setInterval(() => socket.write('x'), 50);
      socket.on('close', () => clearInterval(timer));
    });
    try {
      const allow = { requireHttps: false, allowPrivate: true };
      for (const port of [trickle.port, slowBody.port]) {
        const result = await deliverOnce(`http://127.0.0.1:${port}/hook`, msg(), { secret: SECRET, policy: allow, timeoutMs: 500 });
        expect(result).toMatchObject({ ok: false, error: 'no complete answer within 500 ms' });
        expect(result.durationMs).toBeLessThan(1_500);
      }
    } finally {
      await trickle.close();
      await slowBody.close();
    }
  });
});
