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

export function startProcess(entry: 'worker/main.ts' | 'server/main.ts', env: Record<string, string | undefined>): Promise<Proc> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, entry)], {
    cwd: ROOT,
    // The 'listening' line is read at info level: quieter levels from the caller's env are raised.
    env: { ...process.env, ...env, LOG_LEVEL: /^(debug|trace)$/.test(env.LOG_LEVEL ?? process.env.LOG_LEVEL ?? '') ? (env.LOG_LEVEL ?? process.env.LOG_LEVEL) : 'info' },
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

  return waitForLog((l) => l.msg === 'worker listening' || l.msg === 'api listening').then(
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

export function startWorker(env: Record<string, string | undefined>): Promise<Proc> {
  return startProcess('worker/main.ts', { WORKER_PORT: '0', ...env });
}

export function startApiProcess(env: Record<string, string | undefined>): Promise<Proc> {
  return startProcess('server/main.ts', { PORT: '0', ...env });
}

/** SIGTERM, then wait for the exit. */
export async function stop(p: Proc): Promise<void> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
  await p.exited;
}
