// Where the dashboard test finds a Chromium, and what to do on a machine that has none: install
// Debian's when we may (root, apt), otherwise stop with the one command that fixes it.
import { existsSync, readdirSync } from 'node:fs';
import { homedir, platform } from 'node:os';
import * as path from 'node:path';

export const DEBIAN_CHROMIUM = '/usr/bin/chromium';

export interface BrowserSearch {
  env: Record<string, string | undefined>;
  exists: (file: string) => boolean;
  /** Where this playwright-core version expects its own download (`chromium.executablePath()`). */
  playwrightPath: string | null;
  /** Playwright's download cache, for other revisions than this version's. */
  playwrightCache: string | null;
  listDir: (dir: string) => string[];
}

/** CHROMIUM_PATH (which must then exist), Debian's chromium, then Playwright's downloads. */
export function findChromium(s: BrowserSearch): { path: string | null; problem?: string } {
  const chosen = s.env.CHROMIUM_PATH;
  if (chosen) return s.exists(chosen) ? { path: chosen } : { path: null, problem: `CHROMIUM_PATH=${chosen} does not exist` };
  if (s.exists(DEBIAN_CHROMIUM)) return { path: DEBIAN_CHROMIUM };
  if (s.playwrightPath && s.exists(s.playwrightPath)) return { path: s.playwrightPath };
  if (s.playwrightCache) {
    // Newest revision first: chromium-1255/chrome-linux64/chrome, chromium-1140/chrome-linux/chrome, …
    const revisions = s
      .listDir(s.playwrightCache)
      .filter((d) => /^chromium-\d+$/.test(d))
      .sort((a, b) => Number(b.slice(9)) - Number(a.slice(9)));
    for (const dir of revisions) {
      for (const exe of ['chrome-linux64/chrome', 'chrome-linux/chrome', 'chrome-mac/Chromium.app/Contents/MacOS/Chromium', 'chrome-win/chrome.exe']) {
        const file = path.join(s.playwrightCache, dir, exe);
        if (s.exists(file)) return { path: file };
      }
    }
  }
  return { path: null };
}

export type BrowserPlan = { kind: 'use'; path: string } | { kind: 'install' } | { kind: 'fail'; message: string };

/** What the test setup does: use the browser found, install Debian's, or fail saying how to get one. */
export function browserPlan(found: { path: string | null; problem?: string }, machine: { isRoot: boolean; hasApt: boolean }): BrowserPlan {
  if (found.path) return { kind: 'use', path: found.path };
  if (found.problem)
    return { kind: 'fail', message: `The dashboard test needs Chromium, but ${found.problem}. Point CHROMIUM_PATH at a Chromium, or unset it.` };
  if (machine.isRoot && machine.hasApt) return { kind: 'install' };
  const command = machine.hasApt ? 'sudo apt-get install -y chromium' : 'npx playwright-core install chromium';
  return {
    kind: 'fail',
    message: `The dashboard test needs Chromium and none was found (CHROMIUM_PATH, ${DEBIAN_CHROMIUM}, Playwright's cache). Install one with:\n\n    ${command}\n\nthen run the tests again (or set CHROMIUM_PATH to a Chromium you have).`,
  };
}

/** This machine, as findChromium and browserPlan see it. */
export async function thisMachine(env: Record<string, string | undefined> = process.env): Promise<{ search: BrowserSearch; isRoot: boolean; hasApt: boolean }> {
  const { chromium } = await import('playwright-core');
  let playwrightPath: string | null = null;
  try {
    playwrightPath = chromium.executablePath();
  } catch {
    // Platforms Playwright has no build for: only CHROMIUM_PATH or a system Chromium can serve.
  }
  const cache = env.PLAYWRIGHT_BROWSERS_PATH || path.join(homedir(), platform() === 'darwin' ? 'Library/Caches' : '.cache', 'ms-playwright');
  return {
    search: {
      env,
      exists: existsSync,
      playwrightPath,
      playwrightCache: cache,
      listDir: (dir) => {
        try {
          return readdirSync(dir);
        } catch {
          return [];
        }
      },
    },
    isRoot: process.getuid?.() === 0,
    hasApt: existsSync('/usr/bin/apt-get'),
  };
}
