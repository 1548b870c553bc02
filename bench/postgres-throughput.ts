// `npx tsx bench/postgres-throughput.ts`: the no-op throughput of one worker process (concurrency
// 50, jobs queued beforehand) on the Postgres store and the fs store, back to back, with where the
// CPU goes — the worker's (and its share in the kernel), this process's while timed, the Postgres
// server's — and the statements per job by kind with their server time. Well under a minute.
// Env: BENCH_DATABASE_URL or TEST_DATABASE_URL (else a throwaway cluster), JOBS (1000), CONCURRENCY
// (50), STORES (`postgres,fs`), PICKUPS (jobs timed create → started with no poke, on Postgres
// woken by NOTIFY alone; default 30, 0 to skip), DATABASE_POOL_MAX (the worker's pool, default 4), PROFILE_DIR (a
// CPU profile of each worker, see bench/cpu-profile.mjs), BENCH_ASSETS_DIR (where the Postgres row's
// images go; default /dev/shm, see bench/postgres.ts). Figures move with the machine's load: the
// load average is printed before and after; compare runs made back to back.
import { execSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { startCluster } from '../scripts/postgres-cluster.js';
import { bundleWorker } from '../scripts/processes.js';
import { fsBackend, lastExecMs, pickup, postgresBackend, throughput } from './postgres.js';
import { ms } from './stats.js';

const given = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
const cluster = given ? null : await startCluster();
const url = given ?? cluster!.url;
const jobs = Number(process.env.JOBS ?? 1000);
const concurrency = Number(process.env.CONCURRENCY ?? 50);
// BUNDLED=1: the worker as one esbuild bundle run by plain node (as in production, where it runs
// compiled), not through tsx.
const bundle = process.env.BUNDLED === '1' ? await bundleWorker() : null;
const fixed = (n: number, digits = 2) => n.toFixed(digits);
const uptime = () => execSync('uptime').toString().trim();

try {
  console.log(uptime());
  for (const name of (process.env.STORES ?? 'postgres,fs').split(',')) {
    const b = name === 'fs' ? await fsBackend() : await postgresBackend(url);
    if (process.env.DATABASE_POOL_MAX) b.env.DATABASE_POOL_MAX = process.env.DATABASE_POOL_MAX;
    if (process.env.PROFILE_DIR) {
      b.env.NODE_OPTIONS = `--import ${path.resolve(import.meta.dirname, 'cpu-profile.mjs')}`;
      b.env.PROFILE_DIR = process.env.PROFILE_DIR;
    }
    const picks = Number(process.env.PICKUPS ?? 30);
    const p = b.pg && picks > 0 ? await pickup(b, picks) : null;
    const r = await throughput(b, jobs, concurrency, bundle?.worker);
    await b.cleanup();
    const perJobMs = (share: number) => fixed((share * r.seconds * 1000) / jobs);
    console.log(
      [
        `${name}: ${fixed(r.jobsPerSecond, 0)} jobs/s (${jobs} jobs, concurrency ${concurrency}, ${fixed(r.seconds)} s)`,
        ...(p ? [`  create → started (no poke, ${picks} jobs, before the throughput run): p50 ${ms(p.p50)}, p90 ${ms(p.p90)}`] : []),
        `  worker CPU ${perJobMs(r.cpu)} ms/job (${fixed(r.cpu * 100, 0)}% of a core, ${fixed(r.systemShare * 100, 0)}% of it in the kernel)`,
        `  second half alone (warmed up): ${fixed(r.secondHalf.jobsPerSecond, 0)} jobs/s, worker CPU ${fixed(r.secondHalf.cpuMsPerJob)} ms/job`,
        `  bench process while timed: ${fixed(r.benchCpu * 100, 0)}% of a core; its creates beforehand (16 in flight): ${fixed(r.created.perSecond, 0)}/s, ${fixed(r.created.cpuMs)} ms CPU each`,
        ...(b.pg
          ? [
              `  postgres server CPU ${perJobMs(r.serverCpu)} ms/job; statements per job ${JSON.stringify(r.perJob)}`,
              `  server execution ms/job by kind ${JSON.stringify(Object.fromEntries(Object.entries(lastExecMs).map(([k, v]) => [k, Number(fixed(v / jobs, 3))])))}`,
            ]
          : []),
        `  machine busy ${fixed(r.machineBusy * 100, 0)}% of all cores`,
      ].join('\n'),
    );
  }
  console.log(uptime());
} finally {
  cluster?.stop();
  if (bundle) rmSync(bundle.outdir, { recursive: true, force: true });
}
