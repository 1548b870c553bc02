// The worst drawing the schema allows, rendered N at a time in this process, while the event loop's
// delay and the latency of an fs call (libuv's thread pool) are sampled: the drawing on the event
// loop (before), in resvg's renderAsync (libuv's pool), and in draw threads (draw-pool.ts, after).
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { renderAsync } from '@resvg/resvg-js';
import type { ConceptInputs } from '../shared/job/concept.js';
import { drawConcept } from '../shared/providers/axonometric/draw.js';
import { DrawPool, defaultDrawThreads } from '../shared/providers/axonometric/draw-pool.js';
import { drawPicture } from '../shared/providers/axonometric/picture.js';
import { worstCaseRequest } from '../test/helpers/concept.js';
import { summarize } from './stats.js';

type Draw = (c: ConceptInputs) => Promise<unknown>;

export interface RenderRun {
  mode: string;
  inFlight: number;
  /** Start → done, per render. */
  render: ReturnType<typeof summarize>;
  loopDelay: { p50: number; p99: number; max: number };
  /** One fs.stat every 20 ms while the renders run. */
  fsCall: ReturnType<typeof summarize>;
}

/** CPU time of one worst-case drawing (SVG, rasterising, PNG), on this thread: what it costs whatever the load. */
export function worstCaseCpuMs(): { cpuMs: number; svgKb: number; pngKb: number } {
  const concept = worstCaseRequest().conceptInputs;
  drawPicture(worstCaseRequest().conceptInputs); // resvg loaded, code warm
  const before = process.cpuUsage();
  const picture = drawPicture(concept);
  const used = process.cpuUsage(before);
  return { cpuMs: (used.user + used.system) / 1000, svgKb: drawConcept(concept).svg.length / 1024, pngKb: picture.png.length / 1024 };
}

export async function renderBench(opts: { quick: boolean }): Promise<RenderRun[]> {
  const concept = worstCaseRequest().conceptInputs;
  const pools = [new DrawPool(defaultDrawThreads()), ...(defaultDrawThreads() < 2 ? [new DrawPool(2)] : [])];
  const modes: Array<[string, Draw]> = [
    ['on the event loop (before)', async (c) => drawPicture(c)],
    ['resvg renderAsync', async (c) => (await renderAsync(drawConcept(c).svg, { fitTo: { mode: 'original' }, font: { loadSystemFonts: false } })).asPng()],
    ...pools.map((p): [string, Draw] => [`draw threads ×${p.size}${p.size === defaultDrawThreads() ? ' (after)' : ''}`, (c) => p.draw(c)]),
  ];
  const dir = await mkdtemp(path.join(tmpdir(), 'render-jobs-bench-'));
  const probe = path.join(dir, 'probe');
  await writeFile(probe, 'x');
  // Threads start and resvg loads once; that is not what is measured.
  await Promise.all(pools.map((p) => p.draw(concept)));
  const runs: RenderRun[] = [];
  try {
    for (const inFlight of opts.quick ? [4] : [1, 4]) {
      for (const [mode, draw] of modes) runs.push({ mode, inFlight, ...(await measure(draw, concept, inFlight, probe)) });
    }
  } finally {
    await Promise.all(pools.map((p) => p.close()));
    await rm(dir, { recursive: true, force: true });
  }
  return runs;
}

async function measure(draw: Draw, concept: ConceptInputs, inFlight: number, probe: string) {
  const delay = lateness(10);
  const fsTimes: number[] = [];
  let sampling = true;
  let fsSince: number | null = null;
  const fsSampler = (async () => {
    while (sampling) {
      fsSince = performance.now();
      await stat(probe);
      fsTimes.push(performance.now() - fsSince);
      fsSince = null;
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const start = performance.now();
  const times = await Promise.all(
    Array.from({ length: inFlight }, async () => {
      // Each drawing starts in its own turn of the loop, as jobs claimed one by one do.
      await new Promise((r) => setImmediate(r));
      await draw(concept);
      return performance.now() - start;
    }),
  );
  const loopDelay = delay.stop();
  // A call still waiting when the drawings end counts with the time it has waited so far.
  if (fsSince !== null) fsTimes.push(performance.now() - fsSince);
  sampling = false;
  await fsSampler;
  return { render: summarize(times), loopDelay, fsCall: summarize(fsTimes) };
}

/**
 * How late a timer of `everyMs` fires, sample by sample, like monitorEventLoopDelay (what /healthz
 * reports) — but a stall still going on when sampling stops counts too, so a loop that was blocked
 * from start to end does not read as idle.
 */
function lateness(everyMs: number) {
  const samples: number[] = [];
  let due = performance.now() + everyMs;
  let timer: NodeJS.Timeout;
  const tick = () => {
    const now = performance.now();
    samples.push(Math.max(0, now - due));
    due = now + everyMs;
    timer = setTimeout(tick, everyMs);
  };
  timer = setTimeout(tick, everyMs);
  return {
    stop() {
      clearTimeout(timer);
      samples.push(Math.max(0, performance.now() - due));
      const s = summarize(samples);
      return { p50: s.p50, p99: s.p99, max: s.max };
    },
  };
}
