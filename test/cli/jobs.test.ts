// The CLI as a user runs it: a real process against the real API and worker processes, checked by
// its output, the saved image and its exit code (0 done, 1 failed, 2 bad input, 3 cancelled, 4 timed out).
import { execFile, spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Proc, ROOT, startApiProcess, startWorker, stop } from '../../scripts/processes.js';
import { exampleBody } from '../helpers/concept.js';
import { tempDir } from '../helpers/stores.js';
import { OpenAIImagesStandIn } from '../stand-ins/openai-images.js';
import { serveHandlers } from '../stand-ins/serve.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
const procs: Proc[] = [];
let api: Proc;
let failingApi: Proc;
let closeOpenAI: () => Promise<void>;
let requestFile: string;

function cli(args: string[], apiUrl = api.url, env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // A command that never ends is killed (and fails the test) rather than holding the suite.
    const options = { cwd: tmp.dir, env: { PATH: process.env.PATH, RENDER_JOBS_API: apiUrl, ...env }, timeout: 25_000 };
    execFile(path.join(ROOT, 'node_modules', '.bin', 'tsx'), [path.join(ROOT, 'cli', 'main.ts'), ...args], options, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  tmp = await tempDir();
  requestFile = path.join(tmp.dir, 'concept.json');
  await writeFile(requestFile, JSON.stringify({ ...exampleBody, projectId: 'cli' }));
  const env = { JOBS_DIR: path.join(tmp.dir, 'jobs'), RENDER_DELAY_MS: '2000', POLL_INTERVAL_MS: '100', HEARTBEAT_MS: '200', LEASE_MS: '3000' };
  const worker = await startWorker(env);
  api = await startApiProcess({ ...env, WORKER_URL: worker.url });
  // A second setup whose renders fail for good: OpenAI (the stand-in, on loopback) refuses the key.
  let openai: OpenAIImagesStandIn | undefined;
  const served = await serveHandlers(() => openai!.handlers);
  openai = new OpenAIImagesStandIn(`${served.url}/v1`);
  closeOpenAI = served.close;
  const failEnv = {
    JOBS_DIR: path.join(tmp.dir, 'jobs-fail'),
    OPENAI_API_KEY: 'sk-not-the-right-key-000',
    OPENAI_BASE_URL: `${served.url}/v1`,
    POLL_INTERVAL_MS: '100',
  };
  const failWorker = await startWorker(failEnv);
  failingApi = await startApiProcess({ ...failEnv, WORKER_URL: failWorker.url });
  procs.push(worker, api, failWorker, failingApi);
});
afterAll(async () => {
  await Promise.all(procs.map(stop));
  await closeOpenAI();
  await tmp.cleanup();
});

describe('render-jobs CLI', () => {
  it('renders with a progress bar, saves the image, and exits 0', async () => {
    const out = path.join(tmp.dir, 'out.png');
    const r = await cli(['render', requestFile, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^completed in [\d.]+ s: .*out\.png$/m);
    expect(r.stderr).toMatch(/100%/);
    expect((await readFile(out)).subarray(1, 4).toString()).toBe('PNG');
    // Off a terminal: one line per change, never the same line again on a timer; the time is the server's ETA.
    const lines = r.stderr.split('\n').filter((l) => /^\d+% /.test(l));
    expect(new Set(lines.map((l) => l.replace(/ \|.*$/, ''))).size).toBe(lines.length);
    expect(r.stderr).toMatch(/^\d+% .*\| ~\d+s left$/m);
  });

  it('render --kind preview saves the preview and exits', async () => {
    const out = path.join(tmp.dir, 'preview.png');
    const r = await cli(['render', requestFile, '--kind', 'preview', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^completed in [\d.]+ s: .*preview\.png$/m);
    expect((await readFile(out)).subarray(1, 4).toString()).toBe('PNG');
  });

  it('status / list / cancel take the project from --project, else RENDER_JOBS_PROJECT, else demo-project', async () => {
    const created = await cli(['render', requestFile, '--no-wait', '--json']);
    const { jobId } = JSON.parse(created.stdout) as { jobId: string };
    const fromEnv = await cli(['status', jobId, '--json'], api.url, { RENDER_JOBS_PROJECT: 'cli' });
    expect(fromEnv.code, fromEnv.stderr).toBe(0);
    expect(JSON.parse(fromEnv.stdout)).toMatchObject({ job: { jobId, projectId: 'cli' } });
    const listed = await cli(['list', '--json'], api.url, { RENDER_JOBS_PROJECT: 'cli' });
    expect((JSON.parse(listed.stdout) as { jobs: Array<{ jobId: string }> }).jobs.map((j) => j.jobId)).toContain(jobId);
    // The flag beats the variable.
    const flag = await cli(['status', jobId, '--project', 'cli', '--json'], api.url, { RENDER_JOBS_PROJECT: 'elsewhere' });
    expect(flag.code).toBe(0);
    // Neither: the example's project, demo-project (where this job is not).
    const byDefault = await cli(['list', '--json']);
    expect(byDefault.code, byDefault.stderr).toBe(0);
    expect((JSON.parse(byDefault.stdout) as { jobs: Array<{ projectId: string }> }).jobs.every((j) => j.projectId === 'demo-project')).toBe(true);
    const notHere = await cli(['cancel', jobId]);
    expect(notHere.code).toBe(1);
    expect(notHere.stderr).toMatch(/No such job/);
    expect((await cli(['cancel', jobId], api.url, { RENDER_JOBS_PROJECT: 'cli' })).code).toBe(0);
  }, 60_000); // eight CLI processes, each compiling TypeScript on start

  it('a refused concept lists each issue with its path, a volume by its id; --json errors are JSON', async () => {
    const request = structuredClone({ ...exampleBody, projectId: 'cli' }) as unknown as {
      conceptInputs: { volumes: Array<{ id?: string; footprint: { width: number } }> };
    };
    request.conceptInputs.volumes[1]!.footprint.width = -3; // "tower"
    delete request.conceptInputs.volumes[2]!.id;
    request.conceptInputs.volumes[2]!.footprint.width = 0;
    const file = path.join(tmp.dir, 'refused.json');
    await writeFile(file, JSON.stringify(request));
    const r = await cli(['render', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^render-jobs: Invalid render request/);
    expect(r.stderr).toMatch(/^ {2}- conceptInputs\.volumes\["tower"\]\.footprint\.width: .+$/m);
    expect(r.stderr).toMatch(/^ {2}- conceptInputs\.volumes\[2\]\.footprint\.width: .+$/m);
    const j = await cli(['render', file, '--json']);
    expect(j.code).toBe(2);
    expect(JSON.parse(j.stdout)).toMatchObject({
      error: {
        code: 'invalid_request',
        status: 400,
        issues: expect.arrayContaining([
          expect.objectContaining({ path: ['conceptInputs', 'volumes', 1, 'footprint', 'width'], at: 'conceptInputs.volumes["tower"].footprint.width' }),
        ]),
      },
    });
    const missing = await cli(['status', 'nosuchjob', '--json']);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout)).toMatchObject({ error: { code: 'not_found', status: 404 } });
  }, 45_000);

  it('prints JSON for scripts, and status / list / cancel work on the job', async () => {
    const created = await cli(['render', requestFile, '--no-wait', '--json']);
    expect(created.code).toBe(0);
    const { jobId } = JSON.parse(created.stdout) as { jobId: string };
    const status = await cli(['status', jobId, '--project', 'cli', '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({ job: { jobId } });
    const listed = await cli(['list', '--project', 'cli', '--json']);
    expect((JSON.parse(listed.stdout) as { jobs: Array<{ jobId: string }> }).jobs.map((j) => j.jobId)).toContain(jobId);
    const cancelled = await cli(['cancel', jobId, '--project', 'cli']);
    expect(cancelled.code).toBe(0);
  });

  it('exits 2 on bad input: a missing file, invalid JSON, a request the API refuses', async () => {
    expect((await cli(['render', path.join(tmp.dir, 'nope.json')])).code).toBe(2);
    await writeFile(path.join(tmp.dir, 'broken.json'), '{"projectId": ');
    expect((await cli(['render', path.join(tmp.dir, 'broken.json')])).code).toBe(2);
    await writeFile(path.join(tmp.dir, 'invalid.json'), JSON.stringify({ projectId: 'cli', renderType: 'photoreal' }));
    const refused = await cli(['render', path.join(tmp.dir, 'invalid.json')]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/Invalid render request/);
  });

  it('exits 4 when the wait times out, 3 when the job is cancelled, 1 when it fails', async () => {
    expect((await cli(['render', requestFile, '--timeout', '0.3'])).code).toBe(4);
    // Cancel the job while the CLI waits on it (it names the job on stderr as soon as it exists).
    const child = spawn(path.join(ROOT, 'node_modules', '.bin', 'tsx'), [path.join(ROOT, 'cli', 'main.ts'), 'render', requestFile, '--json'], {
      cwd: tmp.dir,
      env: { PATH: process.env.PATH, RENDER_JOBS_API: api.url },
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const jobId = await new Promise<string>((resolve) => {
      let err = '';
      child.stderr.on('data', (chunk: Buffer) => {
        err += chunk.toString();
        const m = /job (\S+) created/.exec(err);
        if (m) resolve(m[1]!);
      });
    });
    await fetch(`${api.url}/api/jobs/${jobId}/cancel?projectId=cli`, { method: 'POST' });
    expect(await exited).toBe(3);
    const failed = await cli(['render', requestFile], failingApi.url);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/failed: OpenAI refused the API key/);
  });
});
