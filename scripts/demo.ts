// `npm run demo`: the whole pipeline on the embedded defaults — API and worker as two processes,
// one render job for examples/concept.json, a progress bar while it renders, and the image's path.
// No keys, no network.
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { SingleBar } from 'cli-progress';
import { DEFAULTS, loadConfig } from '../shared/config.js';
import { ROOT, type Proc, startApiProcess, startWorker, stop } from './processes.js';

const conceptFile = path.resolve(process.argv[2] ?? path.join(ROOT, 'examples', 'concept.json'));
// The embedded defaults whatever the shell has set: the filesystem store and the local renderer.
const config = loadConfig({ ...process.env, STORE: 'fs', RENDERER: process.env.RENDERER ?? 'axonometric' });
const jobsDir = path.resolve(config.store.kind === 'fs' ? config.store.dir : DEFAULTS.JOBS_DIR);
const env = {
  ...process.env,
  STORE: 'fs',
  RENDERER: config.renderer.kind,
  JOBS_DIR: jobsDir,
  RENDER_DELAY_MS: process.env.RENDER_DELAY_MS ?? '4000',
};

const procs: Proc[] = [];
async function main(): Promise<number> {
  const body = await readFile(conceptFile, 'utf8');
  console.log(`render-jobs demo: store ${jobsDir}, concept ${path.relative(process.cwd(), conceptFile)}`);
  const worker = await startWorker(env);
  procs.push(worker);
  const api = await startApiProcess({ ...env, WORKER_URL: worker.url });
  procs.push(api);
  console.log(`api ${api.url}  ·  worker ${worker.url}`);

  const t0 = performance.now();
  const res = await fetch(`${api.url}/api/jobs/render`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const created = (await res.json()) as Record<string, string> & { error?: { message: string } };
  if (res.status !== 202) throw new Error(`create failed (${res.status}): ${created.error?.message ?? JSON.stringify(created)}`);
  console.log(`job ${created.jobId} created in ${(performance.now() - t0).toFixed(0)} ms (HTTP 202)`);

  const bar = new SingleBar({
    format: '  {bar} {percentage}% | {stage} | {seconds}s',
    barsize: 30,
    hideCursor: true,
    noTTYOutput: true, // in CI logs, a line per second instead of nothing
    notTTYSchedule: 1000,
  });
  bar.start(100, 0, { stage: 'queued', seconds: '0.0' });
  let job: Record<string, any>;
  for (;;) {
    const poll = await fetch(api.url + created.pollUrl);
    job = ((await poll.json()) as { job: Record<string, any> }).job;
    bar.update(job.progress, { stage: job.stage ?? job.status, seconds: ((performance.now() - t0) / 1000).toFixed(1) });
    if (['completed', 'failed', 'cancelled'].includes(job.status)) break;
    // Follow the server's hint, but redraw the bar more often than it asks us to poll.
    await new Promise((r) => setTimeout(r, Math.min(Number(poll.headers.get('x-poll-after-ms') ?? 1000), 250)));
  }
  bar.stop();

  if (job.status !== 'completed') {
    console.error(`job ${job.status}: ${job.error ?? job.message}`);
    return 1;
  }
  const file = path.join(jobsDir, job.result.key);
  console.log(`done in ${(job.result.timings.totalMs / 1000).toFixed(1)} s (attempt ${job.attempt} of ${job.maxAttempts}, worker ${job.workerId})`);
  console.log(`image: ${file}  (${job.result.width}×${job.result.height}, ${(job.result.bytes / 1024).toFixed(0)} KiB)`);
  console.log(`also served at ${api.url}${job.imageUrl}`);
  return 0;
}

main()
  .catch((err: unknown) => {
    console.error(`demo failed: ${(err as Error).message}`);
    return 1;
  })
  .then(async (code) => {
    await Promise.all(procs.map(stop));
    process.exit(code);
  });
