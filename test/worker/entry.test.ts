// The api and worker entry points as a person starts them: `npm run worker`, `tsx worker/main.ts`,
// `node --import tsx worker/main.ts`. One Ctrl-C is one graceful stop (a render in flight is
// drained); a busy port or a bad setting stops the start with a message naming what to change.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/processes.js';
import { enqueueJob } from '../../shared/queue/enqueue.js';
import { readJob } from '../../shared/job/job-docs.js';
import { FsObjectStore } from '../../shared/store/fs-store.js';
import { smallRequest } from '../helpers/concept.js';
import { testDeps } from '../helpers/deps.js';
import { tempDir } from '../helpers/stores.js';
import { until } from '../helpers/wait.js';

interface Launched {
  child: ChildProcess;
  output: () => string;
  /** The exit code, or the signal's name when it ended by one. */
  exited: Promise<number | string | null>;
}

const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const children: ChildProcess[] = [];

/** In its own process group, as a terminal runs a foreground command: a Ctrl-C reaches every process in it. */
function launch(command: string[], env: Record<string, string>): Launched {
  const child = spawn(command[0]!, command.slice(1), { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'info', ...env }, detached: true });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | string | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
  return { child, output: () => out, exited };
}

const ctrlC = (l: Launched) => process.kill(-l.child.pid!, 'SIGINT');

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  tmp = await tempDir();
});
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) process.kill(-c.pid!, 'SIGKILL');
});
afterAll(() => tmp.cleanup());

const LAUNCHERS: Array<[string, string[]]> = [
  ['npm run worker', ['npm', 'run', '--silent', 'worker']],
  ['tsx worker/main.ts', [TSX, 'worker/main.ts']],
  ['node --import tsx worker/main.ts', [process.execPath, '--import', 'tsx', 'worker/main.ts']],
];

describe('one Ctrl-C is one graceful stop', () => {
  it.each(LAUNCHERS)(
    '%s: the render in flight completes, then the worker exits cleanly',
    async (name, command) => {
      const dir = path.join(tmp.dir, name.replace(/\W+/g, '-'));
      const store = new FsObjectStore(dir);
      // LEASE_MS alone (no HEARTBEAT_MS): the heartbeat follows the lease.
      const worker = launch(command, { JOBS_DIR: dir, WORKER_PORT: '0', RENDER_DELAY_MS: '2500', POLL_INTERVAL_MS: '100', LEASE_MS: '5000' });
      await until(() => worker.output().includes('"worker listening"'), 20_000, `${name} listening`);
      const job = await enqueueJob(testDeps(store), smallRequest('signals'));
      await until(async () => (await readJob(store, job.projectId, job.jobId))?.status === 'processing', 10_000, 'job processing');

      ctrlC(worker);
      // npm, once its script is done, ends itself by the signal it was sent (as shells expect of an interrupted command).
      expect(await worker.exited, worker.output()).toBe(name.startsWith('npm') ? 'SIGINT' : 0);
      expect(worker.output()).toContain('"worker stopped"');
      expect(worker.output()).not.toContain('second signal');
      expect((await readJob(store, job.projectId, job.jobId))?.status).toBe('completed');
    },
    40_000,
  );

  it('a second Ctrl-C pressed later still exits at once', async () => {
    const dir = path.join(tmp.dir, 'twice');
    const store = new FsObjectStore(dir);
    const worker = launch([process.execPath, '--import', 'tsx', 'worker/main.ts'], {
      JOBS_DIR: dir,
      WORKER_PORT: '0',
      RENDER_DELAY_MS: '20000',
      POLL_INTERVAL_MS: '100',
    });
    await until(() => worker.output().includes('"worker listening"'), 20_000, 'listening');
    const job = await enqueueJob(testDeps(store), smallRequest('signals'));
    await until(async () => (await readJob(store, job.projectId, job.jobId))?.status === 'processing', 10_000, 'job processing');
    ctrlC(worker);
    await until(() => worker.output().includes('draining'), 5_000, 'draining');
    await new Promise((r) => setTimeout(r, 1_200)); // a person's second keypress, after the first one's echoes
    ctrlC(worker);
    expect(await worker.exited).toBe(1);
    expect(worker.output()).toContain('second signal: exiting now');
  }, 40_000);
});

describe('a start that cannot work says why and exits non-zero', () => {
  let busy: Server;
  let busyPort: number;
  beforeAll(async () => {
    busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, () => resolve()));
    busyPort = (busy.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => busy.close(() => resolve())));

  it('a port in use: npm run api names PORT, npm run worker names WORKER_PORT', async () => {
    const api = launch(['npm', 'run', '--silent', 'api'], { PORT: String(busyPort), JOBS_DIR: path.join(tmp.dir, 'busy') });
    expect(await api.exited).toBe(1);
    expect(api.output()).toMatch(new RegExp(`port ${busyPort} is already in use[\\s\\S]*set PORT`));
    expect(api.output()).not.toContain('listening');
    const worker = launch(['npm', 'run', '--silent', 'worker'], { WORKER_PORT: String(busyPort), JOBS_DIR: path.join(tmp.dir, 'busy') });
    expect(await worker.exited).toBe(1);
    expect(worker.output()).toMatch(new RegExp(`port ${busyPort} is already in use[\\s\\S]*set WORKER_PORT`));
    expect(worker.output()).not.toContain('listening');
  }, 40_000);

  it.each([
    ['api', 'server/main.ts'],
    ['worker', 'worker/main.ts'],
  ])(
    'bad settings: the %s lists each bad variable, with no stack trace',
    async (_name, entry) => {
      const p = launch([TSX, entry], { LEASE_MS: '-5', STORE: 'mongo', PORT: '0', WORKER_PORT: '0' });
      expect(await p.exited).toBe(1);
      const out = p.output();
      expect(out).toMatch(/Invalid configuration:\n/);
      expect(out).toMatch(/^\s+- STORE: .+$/m);
      expect(out).toMatch(/^\s+- LEASE_MS: .+$/m);
      expect(out).not.toMatch(/\n\s+at /); // no stack frames
      expect(out).not.toContain('listening');
    },
    30_000,
  );
});
