// Store operations per job lifecycle, counted at the store: create, claim + complete, and the
// running cost of a long render (heartbeats, progress writes).
import * as path from 'node:path';
import { pino } from 'pino';
import { RenderRequest } from '../shared/job/request.js';
import { enqueueJob } from '../shared/queue/enqueue.js';
import { loadConfig } from '../shared/config.js';
import { readJob } from '../shared/job/job-docs.js';
import { CountingStore, type OpCounts } from '../shared/store/counting-store.js';
import { FsObjectStore } from '../shared/store/fs-store.js';
import { StubRenderer } from '../shared/providers/stub.js';
import { AxonometricRenderer } from '../shared/providers/axonometric/index.js';
import type { RenderProvider } from '../shared/providers/provider.js';
import { ClaimLoop } from '../worker/claim-loop.js';
import { benchDir, exampleBody } from './env.js';

async function lifecycle(jobs: number, provider: RenderProvider, queue = loadConfig({}).queue) {
  const tmp = await benchDir();
  const dir = path.join(tmp.dir, 'jobs');
  const counting = new CountingStore(new FsObjectStore(dir));
  const plain = new FsObjectStore(dir);
  const log = pino({ level: 'silent' });
  const request = RenderRequest.parse(JSON.parse(await exampleBody()));
  const deps = { store: counting, queue, log, now: Date.now };
  const refs = [];
  for (let i = 0; i < jobs; i++) refs.push(await enqueueJob(deps, request));
  const create: OpCounts = { ...counting.counts };
  const loop = new ClaimLoop(deps, { workerId: 'bench', concurrency: 4, provider });
  loop.poke();
  loop.start();
  for (const ref of refs) {
    while ((await readJob(plain, ref.projectId, ref.jobId))?.status !== 'completed') await new Promise((r) => setTimeout(r, 20));
  }
  await loop.stop(1000);
  const total = { ...counting.counts };
  await tmp.cleanup();
  const ops = Object.keys(total) as Array<keyof OpCounts>;
  const per = (c: OpCounts) => Object.fromEntries(ops.map((op) => [op, c[op] / jobs])) as unknown as OpCounts;
  const worker = Object.fromEntries(ops.map((op) => [op, total[op] - create[op]])) as unknown as OpCounts;
  return { create: per(create), worker: per(worker) };
}

export async function storeOps() {
  const instant = await lifecycle(50, new StubRenderer({ delayMs: 0 }));
  // A 5 s render with the default 2 s heartbeat and the axonometric renderer's progress ticks.
  const long = await lifecycle(4, new AxonometricRenderer({ delayMs: 5000 }));
  return { instant, long };
}
