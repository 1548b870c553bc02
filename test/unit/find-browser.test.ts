// Where the dashboard test looks for Chromium, and what a machine without one is told or given.
import { describe, expect, it } from 'vitest';
import { type BrowserSearch, browserPlan, DEBIAN_CHROMIUM, findChromium } from '../setup/find-browser.js';

function machine(files: string[], env: Record<string, string> = {}): BrowserSearch {
  const set = new Set(files);
  return {
    env,
    exists: (f) => set.has(f),
    playwrightPath: '/home/u/.cache/ms-playwright/chromium-1255/chrome-linux64/chrome',
    playwrightCache: '/home/u/.cache/ms-playwright',
    listDir: (dir) =>
      dir === '/home/u/.cache/ms-playwright'
        ? [...new Set(files.filter((f) => f.startsWith(dir + '/')).map((f) => f.slice(dir.length + 1).split('/')[0]!))]
        : [],
  };
}

describe('finding Chromium', () => {
  it('takes CHROMIUM_PATH first, then Debian’s, then Playwright’s download', () => {
    expect(findChromium(machine([DEBIAN_CHROMIUM, '/opt/c'], { CHROMIUM_PATH: '/opt/c' })).path).toBe('/opt/c');
    expect(findChromium(machine([DEBIAN_CHROMIUM, '/home/u/.cache/ms-playwright/chromium-1255/chrome-linux64/chrome'])).path).toBe(DEBIAN_CHROMIUM);
    expect(findChromium(machine(['/home/u/.cache/ms-playwright/chromium-1255/chrome-linux64/chrome'])).path).toMatch(/chromium-1255/);
  });

  it('finds another revision in Playwright’s cache, newest first', () => {
    const found = findChromium(
      machine(['/home/u/.cache/ms-playwright/chromium-1140/chrome-linux/chrome', '/home/u/.cache/ms-playwright/chromium-1200/chrome-linux/chrome']),
    );
    expect(found.path).toBe('/home/u/.cache/ms-playwright/chromium-1200/chrome-linux/chrome');
  });

  it('a CHROMIUM_PATH that does not exist is named, not silently replaced', () => {
    const found = findChromium(machine([DEBIAN_CHROMIUM], { CHROMIUM_PATH: '/nope' }));
    expect(browserPlan(found, { isRoot: true, hasApt: true })).toMatchObject({ kind: 'fail', message: expect.stringContaining('CHROMIUM_PATH=/nope') });
  });
});

describe('a machine without Chromium', () => {
  const none = findChromium(machine([]));
  it('as root with apt: Debian’s chromium is installed by the test setup', () => {
    expect(browserPlan(none, { isRoot: true, hasApt: true })).toEqual({ kind: 'install' });
  });
  it('otherwise: fails with the one command that fixes it', () => {
    expect(browserPlan(none, { isRoot: false, hasApt: true })).toMatchObject({
      kind: 'fail',
      message: expect.stringContaining('sudo apt-get install -y chromium'),
    });
    expect(browserPlan(none, { isRoot: false, hasApt: false })).toMatchObject({
      kind: 'fail',
      message: expect.stringContaining('npx playwright-core install chromium'),
    });
  });
});
