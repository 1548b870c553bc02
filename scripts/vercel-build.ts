// `npm run check:vercel`: runs the real `vercel build` offline on a copy of the project (with a
// hand-written .vercel/project.json, no account, no network) and reports what Vercel would deploy:
// one function per api/ file, its maxDuration, and what each bundles.
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './processes.js';

const run = promisify(execFile);
const SKIP = new Set(['node_modules', '.git', '.jobs', '.vercel', 'dist', 'bench-results']);

export interface BuiltFunction {
  /** The api/ file it came from, e.g. `api/jobs/render.ts`. */
  source: string;
  maxDuration: number | undefined;
  runtime: string;
  bytes: number;
  /** Top-level packages in its bundle (`@scope/name` or `name`). */
  packages: string[];
}

export interface VercelBuild {
  functions: BuiltFunction[];
  crons: Array<{ path: string; schedule: string }>;
}

export async function vercelBuild(): Promise<VercelBuild> {
  const dir = await mkdtemp(path.join(tmpdir(), 'render-jobs-vercel-'));
  try {
    await cp(ROOT, dir, { recursive: true, filter: (src) => !SKIP.has(path.basename(src)) });
    await symlink(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    await mkdir(path.join(dir, '.vercel'));
    await writeFile(
      path.join(dir, '.vercel', 'project.json'),
      JSON.stringify({
        projectId: 'prj_offline_check',
        orgId: 'team_offline_check',
        settings: { framework: null, installCommand: 'echo dependencies already installed', buildCommand: '', outputDirectory: null, nodeVersion: '24.x' },
      }),
    );
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VERCEL')));
    await run(path.join(ROOT, 'node_modules', '.bin', 'vercel'), ['build', '--yes'], {
      cwd: dir,
      env: { ...env, CI: '1' },
      maxBuffer: 16 * 1024 * 1024,
      timeout: 180_000,
    });
    const out = path.join(dir, '.vercel', 'output');
    const config = JSON.parse(await readFile(path.join(out, 'config.json'), 'utf8')) as { crons?: VercelBuild['crons'] };
    const functions: BuiltFunction[] = [];
    for (const func of await findFuncs(path.join(out, 'functions'))) {
      const vc = JSON.parse(await readFile(path.join(func, '.vc-config.json'), 'utf8')) as { maxDuration?: number; runtime: string };
      const rel = path.relative(path.join(out, 'functions'), func).replace(/\.func$/, '.ts');
      functions.push({
        source: rel.split(path.sep).join('/'),
        maxDuration: vc.maxDuration,
        runtime: vc.runtime,
        bytes: await sizeOf(func),
        packages: await packagesIn(path.join(func, 'node_modules')),
      });
    }
    return { functions: functions.sort((a, b) => a.source.localeCompare(b.source)), crons: config.crons ?? [] };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function findFuncs(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.name.endsWith('.func')) found.push(p);
    else if (e.isDirectory()) found.push(...(await findFuncs(p)));
  }
  return found;
}

async function sizeOf(p: string): Promise<number> {
  const st = await stat(p);
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const e of await readdir(p)) total += await sizeOf(path.join(p, e));
  return total;
}

async function packagesIn(dir: string): Promise<string[]> {
  const names: string[] = [];
  for (const e of await readdir(dir).catch(() => [] as string[])) {
    if (e.startsWith('@')) for (const s of await readdir(path.join(dir, e))) names.push(`${e}/${s}`);
    else if (!e.startsWith('.')) names.push(e);
  }
  return names.sort();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const build = await vercelBuild();
  console.log('vercel build (offline): what Vercel would deploy');
  for (const f of build.functions) {
    console.log(
      `  ${f.source.padEnd(32)} ${f.runtime}  maxDuration ${String(f.maxDuration).padStart(3)} s  ${(f.bytes / 1024 / 1024).toFixed(1).padStart(5)} MB  ${f.packages.filter((p) => !p.startsWith('@types')).join(' ')}`,
    );
  }
  for (const c of build.crons) console.log(`  cron ${c.schedule}  GET ${c.path}`);
}
