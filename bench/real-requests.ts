// Storage requests per job lifecycle, counted at the real Supabase Storage server's proxy
// (`REAL_STORAGE_REQUEST_LOG=1 run.sh up` writes one line per request to requests.log): one API
// process creates a 5 s job, one worker renders it; the idle worker's own rate is measured first and
// taken off. Nobody polls the job's status meanwhile: what is left is the worker's. Run: REQUEST_LOG=/tmp/real-storage/requests.log SUPABASE_URL=… SUPABASE_SERVICE_ROLE_KEY=… npx tsx bench/real-requests.ts
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { startApiProcess, startWorker, stop } from '../scripts/processes.js';
import { exampleBody, post } from './env.js';

const log = process.env.REQUEST_LOG ?? '/tmp/real-storage/requests.log';
const lines = async () => (await readFile(log, 'utf8')).split('\n').filter(Boolean);
const env = {
  STORE: 'supabase',
  SUPABASE_URL: process.env.SUPABASE_URL!,
  SUPABASE_SERVICE_ROLE_KEY: process.env.SUPABASE_SERVICE_ROLE_KEY!,
  RENDERER: 'stub',
  RENDER_DELAY_MS: '5000',
};
const worker = await startWorker({ ...env, WORKER_CONCURRENCY: '1' });
const api = await startApiProcess({ ...env, WORKER_URL: worker.url });
await sleep(5_000);
const idleFrom = (await lines()).length;
await sleep(10_000);
const idlePerSecond = ((await lines()).length - idleFrom) / 10;

const before = (await lines()).length;
const created = await post(`${api.url}/api/jobs/render`, await exampleBody(`rq-${Date.now()}`));
if (created.status !== 202) throw new Error(`create answered ${created.status}`);
const afterCreate = (await lines()).length;
const started = Date.now();
// Waits on the request log, not on status polls (those would be the API's requests, not the
// worker's): the charge is written once the job has completed, the marker and slot follow it.
while (!(await lines()).slice(afterCreate).some((l) => / POST \S*\/charges\//.test(l))) await sleep(100);
await sleep(1_000);
const seconds = (Date.now() - started) / 1000;
const all = (await lines()).slice(afterCreate);
console.log(
  JSON.stringify(
    {
      create: afterCreate - before,
      workerAndIdle: all.length,
      seconds,
      idlePerSecond,
      workerEstimate: Math.round(all.length - idlePerSecond * seconds),
    },
    null,
    2,
  ),
);
const byPath: Record<string, number> = {};
for (const l of all) {
  const m = / (GET|POST|PUT|DELETE|HEAD) (\S+)/.exec(l);
  const k = m ? `${m[1]} ${m[2]!.replace(/\/[0-9a-z]{38}.*$/, '/…').replace(/\/[0-9]{13}-.*$/, '/…')}` : l;
  byPath[k] = (byPath[k] ?? 0) + 1;
}
console.log(byPath);
await Promise.all([stop(api), stop(worker)]);
