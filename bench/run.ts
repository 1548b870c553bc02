// `npm run bench`: prints figures (not assertions) for the job system on the fs store.
import { cpus, loadavg } from 'node:os';
import { createLatency, pickupLatency } from './latency.js';
import { ms, table } from './stats.js';
import { storeOps } from './store-ops.js';
import { deliveryRatio, streamCost } from './delivery.js';
import { supabaseLatency, supabaseRequestsPerJob } from './supabase.js';
import { noopThroughput } from './throughput.js';
import { peerBench } from './peer.js';
import { runLoad } from './load.js';
import { postgresBench } from './postgres.js';
import { renderBench, worstCaseCpuMs } from './render.js';
import { backlogBench } from './backlog.js';
import { workersBench } from './workers.js';

const quick = process.argv.includes('--quick');
// `--only fs|supabase|delivery|peer|load|postgres|render|backlog|workers` runs one part.
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const round = (n: number) => Math.round(n * 100) / 100;

console.log(`render-jobs bench — node ${process.version}, ${cpus().length} cores${quick ? ' (quick)' : ''}\n`);
if (!only || only === 'fs') await fsBench();
if (!only || only === 'supabase') await supabaseBench();
if (!only || only === 'delivery') await deliveryBench();
if (!only || only === 'peer') await peerBench(quick);
if (!only || only === 'load') await loadBench();
if (!only || only === 'postgres') await postgresBench(quick);
if (!only || only === 'render') await drawingBench();
if (!only || only === 'backlog') await backlogBench(quick);
if (!only || only === 'workers') await workersBench();

async function fsBench() {
  console.log('== fs store ==');

  const seq = await createLatency({ requests: quick ? 100 : 500, inFlight: 1 });
  const par = await createLatency({ requests: quick ? 200 : 1000, inFlight: 16 });
  console.log('Create latency (POST /api/jobs/render → 202, client-side, API and worker as processes)');
  console.log(
    table([
      { load: '1 in flight', n: seq.n, p50: ms(seq.p50), p90: ms(seq.p90), p99: ms(seq.p99), max: ms(seq.max), 'creates/s': round(seq.perSecond) },
      { load: '16 in flight', n: par.n, p50: ms(par.p50), p90: ms(par.p90), p99: ms(par.p99), max: ms(par.max), 'creates/s': round(par.perSecond) },
    ]),
  );

  const poked = await pickupLatency({ jobs: quick ? 15 : 40, poke: true, pollIntervalMs: 1000 });
  const polled = await pickupLatency({ jobs: quick ? 10 : 25, poke: false, pollIntervalMs: 1000 });
  console.log('\nPickup latency (createdAt → startedAt, from the job document)');
  console.log(
    table([
      { mode: 'poke + poll loop', n: poked.n, p50: ms(poked.p50), p90: ms(poked.p90), p99: ms(poked.p99), max: ms(poked.max) },
      { mode: 'poll loop alone (1 s)', n: polled.n, p50: ms(polled.p50), p90: ms(polled.p90), p99: ms(polled.p99), max: ms(polled.max) },
    ]),
  );

  console.log('\nNo-op jobs through one worker process (stub renderer, 0 ms; jobs queued beforehand)');
  const rows = [];
  for (const concurrency of [1, 4, 16]) {
    const r = await noopThroughput({ jobs: quick ? 100 : 300, concurrency });
    rows.push({ concurrency, 'jobs/s': round(r.jobsPerSecond), seconds: round(r.seconds), 'worker RSS': `${r.rssMb} MB` });
  }
  console.log(table(rows));

  const ops = await storeOps();
  console.log('\nStore operations per job (counted at the store)');
  const fmt = (o: { get: number; put: number; list: number; delete: number }) => ({
    get: round(o.get),
    put: round(o.put),
    list: round(o.list),
    delete: round(o.delete),
    total: round(o.get + o.put + o.list + o.delete),
  });
  console.log(
    table([
      { phase: 'create (API)', ...fmt(ops.instant.create) },
      { phase: 'claim → completed, instant render (worker)', ...fmt(ops.instant.worker) },
      { phase: 'claim → completed, 5 s render (worker)', ...fmt(ops.long.worker) },
    ]),
  );
  console.log('A status poll is 1 get. Each heartbeat (default every 2 s) is 2 gets (cancel, next lease) + 1 put.');
}

async function supabaseBench() {
  console.log('\n== Supabase store (the msw stand-in served on loopback; API and worker as processes) ==');
  const fmtOps = (o: Record<string, number>) => {
    const total = Object.values(o).reduce((a, b) => a + b, 0);
    return { ...Object.fromEntries(Object.entries(o).map(([k, v]) => [k, round(v)])), total: round(total) };
  };
  const rows: Array<Record<string, string | number>> = [];
  for (const atomicCreate of [true, false]) {
    for (const renderMs of [0, 5000]) {
      const r = await supabaseRequestsPerJob({ jobs: renderMs === 0 ? (quick ? 10 : 30) : 4, renderMs, atomicCreate });
      const server = atomicCreate ? 'atomic' : 'racy (read-back)';
      if (renderMs === 0) rows.push({ server, phase: 'create (API)', ...fmtOps(r.create) });
      rows.push({ server, phase: `claim → completed, ${renderMs / 1000} s render`, ...fmtOps(r.worker) });
      if (renderMs === 0) console.log(`idle worker (${server}): ${round(r.idlePerSecond)} storage requests/s (its 1 s queue poll)`);
    }
  }
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)).filter((c) => c !== 'total')), 'total'];
  console.log('\nStorage requests per job, counted at the stand-in');
  console.log(table(rows.map((r) => Object.fromEntries(cols.map((c) => [c, r[c] ?? 0])))));

  console.log('\nLatency with a round trip added to every storage request (stub render, 0 ms; one job at a time)');
  const lat: Array<Record<string, string | number>> = [];
  for (const rttMs of [0, 40]) {
    const r = await supabaseLatency({ rttMs, jobs: quick ? 8 : 20 });
    for (const [what, s] of [
      ['create → 202', r.create],
      ['pickup (created → started)', r.pickup],
      ['create → completed (client)', r.complete],
      ['status poll → 200', r.poll],
    ] as const) {
      lat.push({ 'storage RTT': `${rttMs} ms`, what, n: s.n, p50: ms(s.p50), p90: ms(s.p90), max: ms(s.max) });
    }
  }
  console.log(table(lat));
}

async function deliveryBench() {
  console.log('\n== Delivery: client-observed completion ÷ renderer time (2 s stub render, fs store, SDK createAndWait) ==');
  const r = await deliveryRatio({ jobs: quick ? 5 : 15, renderMs: 2000 });
  console.log(
    table(
      Object.entries(r).map(([mode, v]) => ({
        mode,
        n: v.ratio.n,
        'ratio p50': v.ratio.p50.toFixed(3),
        'ratio p90': v.ratio.p90.toFixed(3),
        'ratio max': v.ratio.max.toFixed(3),
        'overhead p50': ms(v.overheadMs.p50),
        'HTTP requests/job': round(v.requestsPerJob),
        'store gets/job (API)': round(v.storeGetsPerJob),
      })),
    ),
  );
  const s = await streamCost({ streams: 20, seconds: quick ? 3 : 6 });
  console.log(
    `Open event streams (20 pending jobs): ${round(s.getsPerStreamPerSecond)} store reads per stream per second; queue/metrics listings shared: ${round(s.listsPerSecond)}/s in all`,
  );
}

async function loadBench() {
  const seconds = quick ? 15 : 60;
  console.log(`\n== Load (autocannon on loopback, API and worker as processes, fs store): ${seconds} s, 300 pollers polling once a second, 20 creates/s ==`);
  const r = await runLoad({ seconds, pollers: 300, pollsPerClientPerSecond: 1, createsPerSecond: 20, seedJobs: 100 });
  const row = (name: string, s: typeof r.polls) => ({
    traffic: name,
    requests: s.requests,
    'req/s': s.perSecond.toFixed(0),
    p50: ms(s.p50),
    p90: ms(s.p90),
    p99: ms(s.p99),
    max: ms(s.max),
    errors: s.errors,
    timeouts: s.timeouts,
    'non-2xx': s.non2xx,
  });
  console.log(table([row('status polls', r.polls), row('creates', r.creates)]));
  console.log(`${r.jobsCreated} jobs created; of the newest 100, ${r.jobsCompletedAfter} completed 3 s after the run.`);
}

async function drawingBench() {
  console.log('\n== Drawing: the worst concept the schema allows (32 stacked volumes, 1,000 floor lines, 2048 × 2048 px), N at a time in one process ==');
  const cost = worstCaseCpuMs();
  console.log(
    `Load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores. One worst-case drawing: ${ms(cost.cpuMs)} of CPU (SVG ${Math.round(cost.svgKb)} KB, PNG ${Math.round(cost.pngKb)} KB).`,
  );
  const runs = await renderBench({ quick });
  console.log(
    table(
      runs.map((r) => ({
        'in flight': r.inFlight,
        mode: r.mode,
        'render p50': ms(r.render.p50),
        'render max': ms(r.render.max),
        'loop delay p50': ms(r.loopDelay.p50),
        'loop delay p99': ms(r.loopDelay.p99),
        'loop delay max': ms(r.loopDelay.max),
        'fs call p99': ms(r.fsCall.p99),
        'fs call max': ms(r.fsCall.max),
      })),
    ),
  );
  console.log(
    "render: start → done per render (all start together). loop delay: how late a 10 ms timer fires (what /healthz reports). fs call: one fs.stat every 20 ms (libuv's thread pool, which the fs store uses).",
  );
}
