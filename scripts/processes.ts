// Starting the API and worker as real processes (`node --import tsx`), reading their JSON log lines:
// used by the demo, the dev runner, the benchmarks and the crash tests.
import { type ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface Proc {
  child: ChildProcess;
  port: number;
  url: string;
  /** Every JSON log line so far. */
  lines: Array<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first log line that matches. */
  waitForLog(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
}

export function startProcess(
  /** A TypeScript entry point under the project root that logs a JSON `listening` line with its port. */
  entry: string,
  env: Record<string, string | undefined>,
  /** A bundled build of `entry` to run instead (starts in a tenth of the time: no TypeScript to compile). */
  compiled?: string,
): Promise<Proc> {
  // The test suites pick their backend with STORE (`supabase-racy`, `supabase-real`…), which is not
  // a value the processes know: a child gets STORE from its caller's env, or fs.
  const inherited = { ...process.env };
  if (inherited.STORE !== undefined && !['fs', 'supabase'].includes(inherited.STORE)) delete inherited.STORE;
  // Nor does a child inherit the real server's address (set for the real-storage suites): a
  // process on another backend would send its images there (Postgres keeps assets in a bucket when
  // one is configured). A test that wants the server passes it.
  for (const name of ['SUPABASE_URL', 'SUPABASE_SERVICE_ROLE_KEY', 'SUPABASE_BUCKET', 'SUPABASE_ASSETS_BUCKET']) if (!(name in env)) delete inherited[name];
  const child = spawn(process.execPath, compiled ? [compiled] : ['--import', 'tsx', path.join(ROOT, entry)], {
    cwd: ROOT,
    // The 'listening' line is read at info level: quieter levels from the caller's env are raised.
    env: {
      ...inherited,
      ...env,
      LOG_LEVEL: /^(debug|trace)$/.test(env.LOG_LEVEL ?? process.env.LOG_LEVEL ?? '') ? (env.LOG_LEVEL ?? process.env.LOG_LEVEL) : 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, unknown>> = [];
  const waiters: Array<{ match: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }> = [];
  let buffer = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const text = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        continue;
      }
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.match(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );

  const waitForLog = (match: (l: Record<string, unknown>) => boolean, timeoutMs = 15_000) => {
    const found = lines.find(match);
    if (found) return Promise.resolve(found);
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching log line from ${entry} in ${timeoutMs} ms; stderr: ${stderr}`)), timeoutMs);
      waiters.push({ match, resolve: (l) => (clearTimeout(timer), resolve(l)) });
      void exited.then(({ code, signal }) => reject(new Error(`${entry} exited (${code ?? signal}) before the log line; stderr: ${stderr}`)));
    });
  };

  return waitForLog((l) => typeof l.msg === 'string' && l.msg.endsWith('listening')).then(
    (l) => {
      const port = Number(l.port);
      return { child, port, url: `http://127.0.0.1:${port}`, lines, exited, waitForLog };
    },
    (err: unknown) => {
      child.kill('SIGKILL'); // never leave a process behind that nobody holds a handle to
      throw err;
    },
  );
}

export function startWorker(env: Record<string, string | undefined>, compiled?: string): Promise<Proc> {
  return startProcess('worker/main.ts', { WORKER_PORT: '0', ...env }, compiled);
}

/**
 * The worker (and any extra entry points) bundled with esbuild, for runs that start many worker
 * processes: each then starts without compiling TypeScript. Built under node_modules/.cache so
 * that packages resolve and nothing lands in the work tree.
 */
export async function bundleWorker(extra: string[] = []): Promise<{ worker: string; outdir: string }> {
  const { build } = await import('esbuild');
  const outdir = path.join(ROOT, 'node_modules', '.cache', 'render-jobs-bundles', String(process.pid));
  await build({
    entryPoints: [
      ...['worker/main.ts', ...extra].map((e) => path.join(ROOT, e)),
      // The draw threads' entry, beside the bundle that starts them (draw-pool.ts looks there).
      { in: path.join(ROOT, 'shared/providers/axonometric/draw-thread.ts'), out: 'worker/draw-thread' },
    ],
    outdir,
    outbase: ROOT,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outExtension: { '.js': '.mjs' },
    logLevel: 'error',
  });
  return { worker: path.join(outdir, 'worker', 'main.mjs'), outdir };
}

export function startApiProcess(env: Record<string, string | undefined>): Promise<Proc> {
  return startProcess('server/main.ts', { PORT: '0', ...env });
}

/** SIGTERM, then wait for the exit. */
export async function stop(p: Proc): Promise<void> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
  await p.exited;
}
