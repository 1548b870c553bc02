// `npm run dev`: both processes up on the configured ports, a job through them, a clean stop.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../scripts/processes.js';
import { exampleBody } from './helpers/concept.js';
import { tempDir } from './helpers/stores.js';
import { until } from './helpers/wait.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  tmp = await tempDir();
});
afterAll(() => tmp.cleanup());

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe('npm run dev', () => {
  it('serves the API on PORT with a worker on WORKER_PORT, and stops both cleanly on Ctrl-C', async () => {
    const [port, workerPort] = [await freePort(), await freePort()];
    const child = spawn('npm', ['run', '--silent', 'dev'], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), WORKER_PORT: String(workerPort), JOBS_DIR: path.join(tmp.dir, 'jobs'), RENDER_DELAY_MS: undefined },
      detached: true, // its own process group, which the Ctrl-C below signals as a terminal would
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    await until(() => out.includes('"api listening"') && out.includes('"worker listening"'), 20_000, 'both processes listening');

    const api = `http://127.0.0.1:${port}`;
    const create = async () =>
      (await (
        await fetch(`${api}/api/jobs/render`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(exampleBody) })
      ).json()) as { pollUrl: string; jobId: string; projectId: string };
    const read = async (job: { pollUrl: string }) =>
      ((await (await fetch(api + job.pollUrl)).json()) as { job: { status: string; result: { timings: { renderMs: number } } | null } }).job;
    const status = async (job: { pollUrl: string }) => (await read(job)).status;
    const first = await create();
    await until(async () => (await status(first)) === 'completed', 15_000, 'first job completed');
    // Dev renders take a visible time by default (RENDER_DELAY_MS=4000), so there is progress to watch and time to cancel.
    expect((await read(first)).result!.timings.renderMs).toBeGreaterThanOrEqual(4000);
    expect(await (await fetch(`http://127.0.0.1:${workerPort}/healthz`)).json()).toMatchObject({ ok: true });

    // Ctrl-C while a render is in flight: the worker drains it instead of dropping it.
    const second = await create();
    await until(async () => (await status(second)) === 'processing', 10_000, 'second job processing');
    process.kill(-child.pid!, 'SIGINT');
    await exited;
    await until(() => out.includes('"worker stopped"') && out.includes('"api stopping"'), 10_000, 'both processes stopped');
    expect(out).not.toContain('second signal'); // one signal each: the worker drained
    expect(out).not.toMatch(/"level":(50|60)/); // no errors logged
    const doc = JSON.parse(await readFile(path.join(tmp.dir, 'jobs', 'jobs', second.projectId, `${second.jobId}.json`), 'utf8')) as { status: string };
    expect(doc.status).toBe('completed');
    // Nothing is left listening.
    await until(
      async () =>
        (await fetch(`${api}/api/jobs?projectId=x`).then(
          () => 'up',
          () => 'down',
        )) === 'down',
      5000,
      'api port closed',
    );
    await until(
      async () =>
        (await fetch(`http://127.0.0.1:${workerPort}/healthz`).then(
          () => 'up',
          () => 'down',
        )) === 'down',
      5000,
      'worker port closed',
    );
  });
});
