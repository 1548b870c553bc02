// Packs the SDK's two packages (client/, react/) as npm would publish them — `prepack` builds ESM and
// .d.ts — and measures what a browser app pays for the client. `npm run pack:sdk [dir]`.
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { ROOT } from './processes.js';

const run = promisify(execFile);

export const SDK_PACKAGES = ['client', 'react'] as const;

export interface Packed {
  name: string;
  tarball: string;
  /** The .tgz, bytes. */
  size: number;
  unpackedSize: number;
  files: string[];
}

/** `npm pack` in the package's folder, into `dest`. */
export async function packPackage(dir: (typeof SDK_PACKAGES)[number], dest: string): Promise<Packed> {
  await mkdir(dest, { recursive: true });
  // The build script (prepack) may print too: the JSON is the array that starts the last lines.
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dest], { cwd: path.join(ROOT, dir), maxBuffer: 16 * 1024 * 1024 });
  const [info] = JSON.parse(stdout.slice(stdout.lastIndexOf('\n[') + 1)) as Array<{
    name: string;
    filename: string;
    size: number;
    unpackedSize: number;
    files: Array<{ path: string }>;
  }>;
  return {
    name: info!.name,
    tarball: path.join(dest, info!.filename),
    size: info!.size,
    unpackedSize: info!.unpackedSize,
    files: info!.files.map((f) => f.path),
  };
}

/** The client as a browser app's bundler would ship it: one minified ESM file, and gzipped. */
export async function browserBundleSize(entry: string): Promise<{ minified: number; gzipped: number }> {
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'error',
  });
  const bytes = out.outputFiles[0]!.contents;
  return { minified: bytes.byteLength, gzipped: gzipSync(bytes).byteLength };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dest = path.resolve(process.argv[2] ?? path.join(ROOT, 'dist', 'packages'));
  for (const dir of SDK_PACKAGES) {
    const p = await packPackage(dir, dest);
    console.log(
      `${p.name}: ${p.tarball} (${(p.size / 1024).toFixed(1)} KiB packed, ${(p.unpackedSize / 1024).toFixed(1)} KiB unpacked, ${p.files.length} files)`,
    );
  }
  const size = await browserBundleSize(path.join(ROOT, 'client', 'dist', 'index.js'));
  console.log(`@render-jobs/client in a browser bundle: ${(size.minified / 1024).toFixed(1)} KiB minified, ${(size.gzipped / 1024).toFixed(1)} KiB gzipped`);
}
