// Shared set-up for benchmarks: a temp store folder and the example request body.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ROOT } from '../scripts/processes.js';

export async function benchDir(parent = tmpdir()): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(path.join(parent, 'render-jobs-bench-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function exampleBody(projectId = 'bench'): Promise<string> {
  const body = JSON.parse(await readFile(path.join(ROOT, 'examples', 'concept.json'), 'utf8')) as Record<string, unknown>;
  return JSON.stringify({ ...body, projectId });
}

export const post = (url: string, body: string) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
