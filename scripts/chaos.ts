// The chaos run, large: `npm run chaos -- --jobs 1000 --workers 4 --store supabase --fault-rate 0.2`.
// `--store postgres` runs on TEST_DATABASE_URL, or on a throwaway Debian PostgreSQL it starts.
// Same harness and checks as test/chaos/chaos.test.ts; prints the figures and exits 1 on a violation.
import { Command, Option } from 'commander';
import { runChaos } from '../test/chaos/harness.js';

const opts = new Command('chaos')
  .option('--jobs <n>', 'jobs to create', (v) => Number(v), 1000)
  .option('--workers <n>', 'worker processes alive at once', (v) => Number(v), 4)
  .addOption(new Option('--store <kind>', 'job store').choices(['fs', 'supabase', 'supabase-racy', 'postgres']).default('fs'))
  .option('--fault-rate <share>', 'share of storage requests failing or slow (supabase stand-in)', (v) => Number(v), 0.2)
  .option('--render-ms <ms>', 'stub render time', (v) => Number(v), 300)
  .option('--kill-every <min-max>', 'a random worker is killed every min..max ms', '800-2000')
  .option('--lease-ms <ms>', 'LEASE_MS of the workers', (v) => Number(v), 2000)
  .option('--seed <n>', 'seed for kills and faults', (v) => Number(v), 1)
  .option('--timeout-ms <ms>', 'give up after', (v) => Number(v), 30 * 60_000)
  .parse()
  .opts<{
    jobs: number;
    workers: number;
    store: 'fs' | 'supabase' | 'supabase-racy' | 'postgres';
    faultRate: number;
    renderMs: number;
    killEvery: string;
    leaseMs: number;
    seed: number;
    timeoutMs: number;
  }>();

const [min, max] = opts.killEvery.split('-').map(Number) as [number, number];
const r = await runChaos({
  jobs: opts.jobs,
  workers: opts.workers,
  store: opts.store,
  faultRate: opts.store.startsWith('supabase') ? opts.faultRate : 0,
  renderMs: opts.renderMs,
  killEveryMs: [min, max],
  leaseMs: opts.leaseMs,
  seed: opts.seed,
  timeoutMs: opts.timeoutMs,
  onProgress: (line) => console.error(line),
});
const pct = (q: number) => r.stuckMs[Math.min(r.stuckMs.length - 1, Math.floor(q * r.stuckMs.length))] ?? 0;
const violations = [
  r.other > 0 && `${r.other} jobs not terminal`,
  r.maxStuckMs > r.stuckLimitMs && `a job stayed processing on a dead worker for ${r.maxStuckMs} ms (limit ${r.stuckLimitMs})`,
  r.resultsMissing > 0 && `${r.resultsMissing} completed jobs without their result`,
  r.strayResults > 0 && `${r.strayResults} results of jobs that did not complete`,
  r.doubleCharges > 0 && `${r.doubleCharges} jobs charged twice`,
  r.chargesOfUnfinished > 0 && `${r.chargesOfUnfinished} unfinished jobs charged`,
].filter(Boolean);
console.log(
  [
    `chaos on ${opts.store}${opts.store.startsWith('supabase') ? ` (${r.faultsInjected} of ${r.storageRequests} storage requests failed or slow, ${((100 * r.faultsInjected!) / r.storageRequests!).toFixed(1)}%)` : ''}: ${r.jobs} jobs, ${opts.workers} workers, ${r.kills} SIGKILLs, ${r.workersStarted} workers started, ${(r.durationMs / 1000).toFixed(1)} s`,
    `  outcomes: ${r.completed} completed, ${r.failed} failed, ${r.other} other`,
    `  jobs on killed workers: ${r.lostAttempts}; time on a dead worker before another took over: p50 ${pct(0.5)} ms, p90 ${pct(0.9)} ms, max ${r.maxStuckMs} ms (limit ${r.stuckLimitMs} ms)`,
    `  results: ${r.resultsMissing} missing, ${r.strayResults} stray; charges: ${r.doubleCharges} double, ${r.chargesOfUnfinished} of unfinished jobs, ${r.chargesLost} lost (worker died between marker and hook), ${r.chargeMarkersLeftCharging} markers left "charging"`,
    `  workers up: mean ${r.liveWorkers.mean.toFixed(1)} of ${opts.workers}, at most one up ${Math.round(100 * r.liveWorkers.shareAtMostOne)}% of the time; a start (spawn → listening) took p50 ${r.liveWorkers.startMsP50} ms, max ${r.liveWorkers.startMsMax} ms`,
    ...(r.slowest ? [`  longest takeover (job ${r.slowest.jobId}):`, ...r.slowest.timeline.map((l) => `    ${l}`)] : []),
    violations.length ? `  VIOLATIONS: ${violations.join('; ')}` : '  no violations',
  ].join('\n'),
);
process.exit(violations.length ? 1 : 0);
