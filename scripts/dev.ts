// `npm run dev`: the API on PORT and a worker on WORKER_PORT, sharing JOBS_DIR; their structured
// log lines go to this terminal. Ctrl-C (or SIGTERM) stops both cleanly.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { ROOT } from './processes.js';

/**
 * Dev only: local renders take this long unless RENDER_DELAY_MS says otherwise (`RENDER_DELAY_MS=0
 * npm run dev`). The local renderer alone finishes in ~0.1 s, too fast to watch progress in the
 * dashboard or to cancel anything.
 */
const DEV_RENDER_DELAY_MS = '4000';
const env = { ...process.env, RENDER_DELAY_MS: process.env.RENDER_DELAY_MS ?? DEV_RENDER_DELAY_MS };

const children = (['worker/main.ts', 'server/main.ts'] as const).map((entry) =>
  // Own process groups: a Ctrl-C reaches them once, forwarded from here, not twice (a second
  // signal means "exit now" and would skip the worker's drain).
  spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, entry)], { cwd: ROOT, env, stdio: 'inherit', detached: true }),
);

let exiting = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    // Forward once: the terminal and tsx may both deliver a Ctrl-C, and a child's second signal means exit now.
    if (exiting) return;
    exiting = true;
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  });
}
let codes = 0;
for (const c of children) {
  c.on('exit', (code) => {
    codes = Math.max(codes, code ?? 1);
    // One process dying on its own takes the other down: a half-running dev setup only confuses.
    if (!exiting) {
      exiting = true;
      for (const other of children) if (other !== c && other.exitCode === null) other.kill('SIGTERM');
    }
    if (children.every((x) => x.exitCode !== null || x.signalCode !== null)) process.exit(codes);
  });
}
