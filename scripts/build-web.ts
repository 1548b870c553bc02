// Builds the dashboard (web/) into public/: one minified bundle and its page. Vercel serves public/
// at `/` (vercel.json runs this as its build command); the local server builds it on start when it
// is missing. `npm run build:web`.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { build } from 'esbuild';
import { ROOT } from './processes.js';

export const PUBLIC_DIR = path.join(ROOT, 'public');

export async function buildWeb(): Promise<{ bytes: number }> {
  await mkdir(PUBLIC_DIR, { recursive: true });
  const out = await build({
    write: false,
    entryPoints: [path.join(ROOT, 'web', 'main.tsx')],
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"' },
    outfile: path.join(PUBLIC_DIR, 'app.js'),
    logLevel: 'warning',
  });
  // Temp file + rename: two servers starting at once never serve half a bundle.
  const publish = async (name: string, contents: Uint8Array | string) => {
    const temp = path.join(PUBLIC_DIR, `.${name}.${randomBytes(4).toString('hex')}`);
    await writeFile(temp, contents);
    await rename(temp, path.join(PUBLIC_DIR, name));
  };
  const bundle = out.outputFiles[0]!.contents;
  await publish('app.js', bundle);
  await publish('index.html', await readFile(path.join(ROOT, 'web', 'index.html')));
  return { bytes: bundle.byteLength };
}

export async function ensureWebBuilt(): Promise<void> {
  const built = await stat(path.join(PUBLIC_DIR, 'app.js')).catch(() => null);
  if (!built) await buildWeb();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { bytes } = await buildWeb();
  console.log(`public/app.js: ${(bytes / 1024).toFixed(0)} KiB`);
}
