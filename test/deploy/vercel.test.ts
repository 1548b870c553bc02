// The deployed layout, proven by the real `vercel build` run offline: every api/ file becomes a
// function with the maxDuration vercel.json gives it, the prune cron is there at most daily (Hobby's
// limit), and the heavy renderers stay out of the functions that do not render.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { discoverRoutes } from '../../server/routes.js';
import { ROOT } from '../../scripts/processes.js';
import { type VercelBuild, vercelBuild } from '../../scripts/vercel-build.js';

const vercelJson = JSON.parse(readFileSync(path.join(ROOT, 'vercel.json'), 'utf8')) as {
  functions: Record<string, { maxDuration: number }>;
  crons: Array<{ path: string; schedule: string }>;
};

describe('vercel build (offline)', () => {
  let build: VercelBuild;
  beforeAll(async () => {
    build = await vercelBuild();
  }, 240_000);

  it('deploys exactly one Node function per api/ file, each with its maxDuration', async () => {
    const files = (await discoverRoutes(path.join(ROOT, 'api'))).map((r) => path.relative(ROOT, r.file)).sort();
    expect(build.functions.map((f) => f.source)).toEqual(files);
    expect(Object.keys(vercelJson.functions).sort()).toEqual(files);
    for (const f of build.functions) {
      expect(f.runtime).toMatch(/^nodejs\d+\.x$/);
      expect(f.maxDuration, f.source).toBe(vercelJson.functions[f.source]!.maxDuration);
    }
  });

  it('schedules the prune cron at most once a day, on a route that exists', () => {
    expect(build.crons).toEqual(vercelJson.crons);
    for (const cron of build.crons) {
      const [minute, hour] = cron.schedule.split(' ');
      expect(minute).toMatch(/^\d+$/);
      expect(hour).toMatch(/^\d+$/);
      expect(build.functions.map((f) => `/${f.source.replace(/\.ts$/, '')}`)).toContain(cron.path);
    }
  });

  it('keeps OpenAI and the rasterizer out of the functions that do not render', () => {
    for (const f of build.functions) {
      const renders = f.source === 'api/jobs/[jobId]/process.ts';
      const previews = f.source === 'api/jobs/render.ts';
      expect(f.packages.includes('openai'), f.source).toBe(renders);
      expect(f.packages.includes('@resvg/resvg-js'), f.source).toBe(renders || previews);
    }
  });
});
