// The SDK as another app uses it: both packages packed as npm publishes them, installed from their
// tarballs into a scratch app outside this repository, imported under Node, run against the real
// API and worker, and a consumer's TypeScript checked against them with browser settings (DOM, no
// Node types). Prints what the install brings into an app and the client's browser bundle size.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserBundleSize, type Packed, packPackage } from '../../scripts/pack-sdk.js';
import { ROOT } from '../../scripts/processes.js';
import { useWorkerAndApi } from '../helpers/api.js';

const run = promisify(execFile);
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

const fx = useWorkerAndApi({ POLL_INTERVAL_MS: '100' });

let scratch: string;
let client: Packed;
let react: Packed;

beforeAll(async () => {
  // Under the system temp folder: no node_modules of this repository above it to fall back on.
  scratch = await mkdtemp(path.join(tmpdir(), 'render-jobs-sdk-'));
  client = await packPackage('client', path.join(scratch, 'tarballs'));
  react = await packPackage('react', path.join(scratch, 'tarballs'));
}, 240_000);
afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

async function app(name: string, tarballs: string[]): Promise<{ dir: string; packages: string[]; bytes: number }> {
  const dir = path.join(scratch, name);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }));
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...tarballs], { cwd: dir });
  const lock = JSON.parse(await readFile(path.join(dir, 'node_modules', '.package-lock.json'), 'utf8')) as { packages: Record<string, unknown> };
  return { dir, packages: Object.keys(lock.packages).map((k) => k.replace(/^.*node_modules\//, '')), bytes: await du(path.join(dir, 'node_modules')) };
}

async function du(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    total += entry.isDirectory() ? await du(p) : (await stat(p)).size;
  }
  return total;
}

/** Typechecks `files` in `dir` as a browser app would: DOM library, no Node types. */
async function typecheck(dir: string, files: Record<string, string>): Promise<string> {
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  const tsconfig = {
    compilerOptions: { target: 'ES2022', lib: ['ES2022', 'DOM'], module: 'NodeNext', moduleResolution: 'NodeNext', types: [], strict: true, noEmit: true },
    files: Object.keys(files),
  };
  await writeFile(path.join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
  const result = await run(process.execPath, [TSC, '-p', dir], { cwd: dir }).catch((err: { stdout: string }) => ({ stdout: err.stdout }));
  return result.stdout.trim();
}

describe('@render-jobs/client, installed from its tarball', () => {
  it('ships built ESM and types, and installs alone: no dependencies', async () => {
    expect(client.files).toEqual(expect.arrayContaining(['package.json', 'dist/index.js', 'dist/index.d.ts']));
    expect(client.files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    const installed = await app('client-app', [client.tarball]);
    expect(installed.packages).toEqual(['@render-jobs/client']);
    const bundle = await browserBundleSize(path.join(installed.dir, 'node_modules', '@render-jobs', 'client', 'dist', 'index.js'));
    console.log(
      `@render-jobs/client: ${installed.packages.length} package, ${(installed.bytes / 1024).toFixed(1)} KiB in node_modules (tarball ${(client.size / 1024).toFixed(1)} KiB); ` +
        `browser bundle ${(bundle.minified / 1024).toFixed(1)} KiB minified, ${(bundle.gzipped / 1024).toFixed(1)} KiB gzipped`,
    );
    expect(bundle.gzipped).toBeLessThan(16 * 1024);
  }, 120_000);

  it('runs jobs under Node from the installed package: a render, uploads from a Blob, a File, bytes and an ArrayBuffer, an edit', async () => {
    const dir = path.join(scratch, 'client-app');
    await writeFile(
      path.join(dir, 'run.mjs'),
      `import { createClient } from '@render-jobs/client';
const client = createClient({ baseUrl: process.env.API_URL, projectId: 'installed' });
const concept = { title: 'From the tarball', site: { width: 20, depth: 20 }, volumes: [{ footprint: { width: 10, depth: 8 }, offset: { x: 5, y: 5 }, floors: 3 }], view: { width: 256, height: 256 } };
const render = await client.jobs.createAndWait({ renderType: 'axonometric', conceptInputs: concept }, { maxWaitMs: 30000 });
const png = new Uint8Array(await (await fetch(new URL(render.imageUrl, process.env.API_URL))).arrayBuffer());
const references = await client.uploads.upload('installed', [new Blob([png], { type: 'image/png' }), new File([png], 'ref.png'), png, png.buffer.slice(0)]);
const edit = await client.jobs.createAndWait({ renderType: 'axonometric', kind: 'edit', references, conceptInputs: concept }, { maxWaitMs: 30000 });
console.log(JSON.stringify({ render: render.status, bytes: png.byteLength, references: references.length, edit: edit.status, title: edit.conceptInputs.title }));
`,
    );
    const { stdout } = await run(process.execPath, ['run.mjs'], { cwd: dir, env: { ...process.env, API_URL: fx.api.url } });
    expect(JSON.parse(stdout)).toMatchObject({ render: 'completed', references: 4, edit: 'completed', title: 'From the tarball' });
  }, 60_000);

  it('types a consumer’s code with browser settings: the concept is completed and checked, uploads take Blob, File and bytes', async () => {
    const out = await typecheck(path.join(scratch, 'client-app'), {
      'consumer.ts': `import { createClient, type ConceptInputs, type Job, RenderJobsError } from '@render-jobs/client';
const client = createClient({ baseUrl: 'https://renders.example', projectId: 'p' });
const concept: ConceptInputs = { site: { width: 30, depth: 20 }, volumes: [{ footprint: { width: 10, depth: 8 }, floors: 3, roof: { form: 'gable' } }], materials: { primary: 'timber' } };
export async function go(file: File, bytes: Uint8Array, buffer: ArrayBuffer): Promise<Job> {
  const references = await client.uploads.upload('p', [file, bytes, buffer, { data: bytes, contentType: 'image/png' }]);
  const job = await client.jobs.createAndWait({ renderType: 'axonometric', kind: 'edit', references, conceptInputs: concept }, { onProgress: (v) => v.queue?.position });
  // @ts-expect-error a misspelt field is an error, not a silent 400
  await client.jobs.create({ renderType: 'axonometric', conceptInputs: { ...concept, volumez: [] } });
  // @ts-expect-error the material is one the renderer knows
  await client.jobs.create({ renderType: 'axonometric', conceptInputs: { ...concept, materials: { primary: 'cardboard' } } });
  if (job.result) console.log(job.result.timings.totalMs, job.conceptInputs.title);
  return job;
}
export const isClientError = (e: unknown) => e instanceof RenderJobsError && e.code === 'not_found';
`,
    });
    expect(out).toBe('');
  }, 60_000);
});

describe('@render-jobs/react, installed from its tarball', () => {
  it('installs with the client and react (peers), imports under Node, and types a consumer', async () => {
    expect(react.files).toEqual(expect.arrayContaining(['package.json', 'dist/index.js', 'dist/index.d.ts']));
    const installed = await app('react-app', [client.tarball, react.tarball]);
    expect(installed.packages.sort()).toEqual(['@render-jobs/client', '@render-jobs/react', 'react']);
    console.log(`@render-jobs/react with its peers: ${installed.packages.join(', ')}, ${(installed.bytes / 1024).toFixed(1)} KiB in node_modules`);
    const { stdout } = await run(
      process.execPath,
      ['--input-type=module', '-e', "import { useRenderJob } from '@render-jobs/react'; console.log(typeof useRenderJob)"],
      { cwd: installed.dir },
    );
    expect(stdout.trim()).toBe('function');
    const out = await typecheck(installed.dir, {
      'consumer.ts': `import { createClient } from '@render-jobs/client';
import { type RenderJobState, useRenderJob } from '@render-jobs/react';
const client = createClient({ projectId: 'p' });
export function useJob(jobId: string | null): string {
  const state: RenderJobState = useRenderJob(client, jobId);
  return state.imageUrl ?? state.previewUrl ?? \`\${state.status} \${state.progress}% \${state.queue?.etaFinishAt ?? ''}\`;
}
`,
    });
    expect(out).toBe('');
  }, 120_000);
});
