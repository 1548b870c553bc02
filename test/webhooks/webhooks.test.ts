// Webhooks the Standard Webhooks way, to real receivers on loopback: signed so the common library
// verifies them, retried, never blocking a render, every outcome visible on the job; redirects,
// 4xx, 413 and silence are failed deliveries; private addresses are refused unless allowed.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import type { JobDocument } from '../../shared/job/document.js';
import { isPrivateAddress, urlProblem } from '../../shared/webhooks/address-guard.js';
import { deliverOnce } from '../../shared/webhooks/deliver.js';
import { startApi, useWorkerAndApi, waitForJob } from '../helpers/api.js';
import { exampleBody } from '../helpers/concept.js';
import { until } from '../helpers/wait.js';

const SECRET = `whsec_${Buffer.from('render-jobs-test-webhook-secret!').toString('base64')}`;

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

/** A receiver on loopback; `answer` decides each response. */
async function receiver(answer: (n: number, res: ServerResponse) => void): Promise<{ url: string; got: Received[]; close(): Promise<void> }> {
  const got: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      got.push({ headers: req.headers, body });
      answer(got.length, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    got,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const allow = { requireHttps: false, allowPrivate: true };
const msg = () => ({ id: 'msg_1', timestamp: new Date(), payload: JSON.stringify({ type: 'job.completed' }) });

describe('address guard', () => {
  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.9',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    'fd00::1',
    'fe80::1',
    '::ffff:10.0.0.1',
    'not-an-ip',
  ])('refuses %s', (a) => {
    expect(isPrivateAddress(a)).toBe(true);
  });
  it.each(['93.184.216.34', '8.8.8.8', '2606:4700::1111', '::ffff:8.8.8.8'])('lets %s through', (a) => {
    expect(isPrivateAddress(a)).toBe(false);
  });
  it('checks the URL before any DNS: https in production, no credentials, no local names or private literals', () => {
    const prod = { requireHttps: true, allowPrivate: false };
    expect(urlProblem('http://example.com/h', prod)).toBe('must be https');
    expect(urlProblem('https://user:pw@example.com/h', prod)).toBe('must not carry credentials');
    expect(urlProblem('https://localhost/h', prod)).toBe('points at a local host');
    expect(urlProblem('https://[::1]/h', prod)).toMatch(/private/);
    expect(urlProblem('https://10.0.0.5/h', prod)).toMatch(/private/);
    expect(urlProblem('ftp://example.com', prod)).toBe('must be https');
    expect(urlProblem('https://hooks.example.com/h', prod)).toBeNull();
  });
});

describe('one delivery', () => {
  it('is signed so that the standardwebhooks library verifies it', async () => {
    const r = await receiver((_n, res) => res.writeHead(204).end());
    const result = await deliverOnce(r.url, msg(), { secret: SECRET, policy: allow, timeoutMs: 2_000 });
    expect(result).toMatchObject({ ok: true, status: 204 });
    const { headers, body } = r.got[0]!;
    expect(new Webhook(SECRET).verify(body, headers as Record<string, string>)).toEqual({ type: 'job.completed' });
    expect(() => new Webhook(SECRET).verify(body.replace('completed', 'failed'), headers as Record<string, string>)).toThrow();
    await r.close();
  });

  it.each([
    ['a redirect (not followed)', (res: ServerResponse) => res.writeHead(302, { location: 'http://169.254.169.254/' }).end(), /redirect/],
    ['a 404', (res: ServerResponse) => res.writeHead(404).end(), /HTTP 404/],
    ['a 413', (res: ServerResponse) => res.writeHead(413).end(), /HTTP 413/],
    ['silence', (_res: ServerResponse) => undefined, /no complete answer within/],
  ])('counts %s as a failed delivery', async (_label, answer, error) => {
    const r = await receiver((_n, res) => answer(res));
    const result = await deliverOnce(r.url, msg(), { secret: SECRET, policy: allow, timeoutMs: 300 });
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(error);
    expect(r.got).toHaveLength(1);
    await r.close();
  });

  it('refuses a name that resolves to a private address, at connect time', async () => {
    const r = await receiver((_n, res) => res.writeHead(200).end());
    const port = new URL(r.url).port;
    // This machine's own name resolves (through /etc/hosts) to a loopback address.
    const result = await deliverOnce(`http://${hostname()}:${port}/hook`, msg(), {
      secret: SECRET,
      policy: { requireHttps: false, allowPrivate: false },
      timeoutMs: 1_000,
    });
    expect(result).toMatchObject({ ok: false, status: null });
    // The log says only that the receiver was not reached: not what the name resolves to.
    expect(result.error).toBe('could not reach the receiver');
    expect(r.got).toEqual([]);
    await r.close();
  });
});

describe('webhooks of a job, end to end', () => {
  const fx = useWorkerAndApi({
    // Progress is written at most once a second, the first a second after the claim: a render of
    // 2.5 s has a progress write (and passes a quarter) at any machine speed.
    RENDER_DELAY_MS: '2500',
    POLL_INTERVAL_MS: '100',
    WEBHOOK_SECRET: SECRET,
    WEBHOOK_ALLOW_PRIVATE: 'true',
    WEBHOOK_MAX_ATTEMPTS: '2',
    WEBHOOK_TIMEOUT_MS: '1000',
  });

  const create = (body: Record<string, unknown>) =>
    fetch(`${fx.api.url}/api/jobs/render`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...exampleBody, projectId: 'hooks', ...body }),
    });

  it('sends started, progress and completed, verifiably signed, and shows the deliveries on the job', async () => {
    const r = await receiver((_n, res) => res.writeHead(200).end('ok'));
    const { jobId } = (await (await create({ webhook: { url: r.url, events: ['started', 'progress', 'completed'] } })).json()) as { jobId: string };
    await waitForJob(fx.api, 'hooks', jobId, (j) => j.status === 'completed');
    await until(async () => r.got.some((g) => g.body.includes('job.completed')), 5_000, 'the completed webhook');
    const types = r.got.map((g) => (new Webhook(SECRET).verify(g.body, g.headers as Record<string, string>) as { type: string }).type);
    expect(types[0]).toBe('job.started');
    expect(types.at(-1)).toBe('job.completed');
    expect(types).toContain('job.progress');
    const completed = JSON.parse(r.got.at(-1)!.body) as { data: { job: JobDocument } };
    expect(completed.data.job).toMatchObject({ jobId, status: 'completed' });
    const status = (await (await fetch(`${fx.api.url}/api/jobs/${jobId}?projectId=hooks`)).json()) as {
      webhookDeliveries: Array<{ event: string; ok: boolean; status: number }>;
    };
    expect(status.webhookDeliveries.map((d) => [d.event, d.ok, d.status])).toEqual(types.map((t) => [t.slice(4), true, 200]));
    await r.close();
  });

  it('sends the outcome of an inline job (a preview) from the create request itself', async () => {
    const r = await receiver((_n, res) => res.writeHead(200).end());
    const res = await create({ kind: 'preview', webhook: { url: r.url } });
    expect(res.status).toBe(201);
    await until(async () => r.got.length === 1, 5_000, 'the completed webhook');
    expect((new Webhook(SECRET).verify(r.got[0]!.body, r.got[0]!.headers as Record<string, string>) as { type: string }).type).toBe('job.completed');
    await r.close();
  });

  it('retries a failing receiver, records each failure, and never holds up the render', async () => {
    const r = await receiver((_n, res) => res.writeHead(500).end());
    const { jobId } = (await (await create({ webhook: { url: r.url } })).json()) as { jobId: string };
    const done = await waitForJob(fx.api, 'hooks', jobId, (j) => j.status === 'completed');
    expect(done.status).toBe('completed');
    let deliveries: Array<{ event: string; attempt: number; ok: boolean; error: string }> = [];
    await until(
      async () => {
        deliveries = ((await (await fetch(`${fx.api.url}/api/jobs/${jobId}?projectId=hooks`)).json()) as { webhookDeliveries: typeof deliveries })
          .webhookDeliveries;
        return deliveries.length === 2;
      },
      10_000,
      'two recorded attempts',
    );
    expect(deliveries.map((d) => [d.event, d.attempt, d.ok, d.error])).toEqual([
      ['completed', 1, false, 'HTTP 500'],
      ['completed', 2, false, 'HTTP 500'],
    ]);
    // Same message id on the retry, so a receiver can de-duplicate.
    expect(r.got[0]!.headers['webhook-id']).toBe(r.got[1]!.headers['webhook-id']);
    await r.close();
  });

  it('refuses a webhook at create time when the URL is not allowed or webhooks are off', async () => {
    const strict = await startApi({ JOBS_DIR: fx.dir, WEBHOOK_SECRET: SECRET, WORKER_URL: 'none' });
    const bad = await fetch(`${strict.url}/api/jobs/render`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...exampleBody, projectId: 'hooks', webhook: { url: 'http://localhost:9/x' } }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'invalid_webhook', message: expect.stringContaining('WEBHOOK_ALLOW_PRIVATE=true') } });
    await strict.close();
    const off = await startApi({ JOBS_DIR: fx.dir, WORKER_URL: 'none' });
    const none = await fetch(`${off.url}/api/jobs/render`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...exampleBody, projectId: 'hooks', webhook: { url: 'https://hooks.example.com/x' } }),
    });
    expect(await none.json()).toMatchObject({ error: { code: 'webhooks_disabled' } });
    await off.close();
  });
});
