// Vercel's file routing, reproduced: every file under api/ (but `_`-prefixed ones) is a route;
// `[name]` segments are parameters, `index.ts` is its folder. Static routes win over dynamic ones.
import { readdir } from 'node:fs/promises';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ApiHandler } from '../api/_lib/types.js';

export interface FileRoute {
  /** express path, e.g. /api/jobs/:jobId/cancel */
  path: string;
  file: string;
  handler: ApiHandler;
}

export async function discoverRoutes(apiDir: string): Promise<FileRoute[]> {
  const files = await walk(apiDir);
  const routes = await Promise.all(
    files.map(async (file) => {
      const rel = path
        .relative(apiDir, file)
        .replace(/\.(ts|js)$/, '')
        .split(path.sep);
      if (rel[rel.length - 1] === 'index') rel.pop();
      const routePath = '/api' + rel.map((seg) => '/' + seg.replace(/^\[(\w+)\]$/, ':$1')).join('');
      const mod = (await import(pathToFileURL(file).href)) as { default?: ApiHandler };
      if (typeof mod.default !== 'function') throw new Error(`${file} has no default export handler`);
      return { path: routePath, file, handler: mod.default };
    }),
  );
  const dynamicCount = (r: FileRoute) => (r.path.match(/:/g) ?? []).length;
  return routes.sort((a, b) => dynamicCount(a) - dynamicCount(b) || b.path.length - a.path.length);
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('_') || entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(full)));
    else if (/\.(ts|js)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}
