// vitest globalSetup of the browser project: finds the Chromium the dashboard test drives, installs
// Debian's on a fresh machine when it may (root with apt), or stops with the one command to run.
// Only runs when a browser test is selected, so unit runs never wait on an install.
import { spawnSync } from 'node:child_process';
import type { TestProject } from 'vitest/node';
import { browserPlan, findChromium, thisMachine } from './find-browser.js';

declare module 'vitest' {
  export interface ProvidedContext {
    chromiumPath: string;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  const machine = await thisMachine();
  let plan = browserPlan(findChromium(machine.search), machine);
  if (plan.kind === 'install') {
    process.stderr.write("dashboard test: no Chromium found; installing Debian's (apt-get install chromium), once…\n");
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const update = spawnSync('apt-get', ['update', '-qq'], { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    const install =
      update.status === 0 ? spawnSync('apt-get', ['install', '-y', '-qq', 'chromium'], { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' }) : update;
    plan = browserPlan(findChromium(machine.search), { isRoot: false, hasApt: true });
    if (plan.kind !== 'use') {
      throw new Error(
        `Installing Debian's chromium failed (apt-get exit ${install.status}): ${install.stderr?.trim() ?? ''}\nRun \`apt-get update && apt-get install -y chromium\`, or set CHROMIUM_PATH.`,
      );
    }
  }
  if (plan.kind === 'fail') throw new Error(plan.message);
  project.provide('chromiumPath', plan.path);
}
