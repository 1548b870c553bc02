// The dashboard in a real browser: Chromium (Debian's, or wherever test/setup/browser.ts found one) driven by playwright-core, against the real
// local API server and worker processes. Submit a concept, watch the progress bar move, see the
// image; cancel another job.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Browser, chromium, type Page } from 'playwright-core';
import { type Proc, startApiProcess, startWorker, stop } from '../../scripts/processes.js';
import { tempDir } from '../helpers/stores.js';

// Found (or installed) by test/setup/browser.ts: CHROMIUM_PATH, Debian's chromium, or Playwright's.
const CHROMIUM = inject('chromiumPath');
// The flags this machine needs: no sandbox as root, and no background connections to a closed network.
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

let tmp: Awaited<ReturnType<typeof tempDir>>;
let worker: Proc;
let api: Proc;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  tmp = await tempDir();
  const env = { JOBS_DIR: tmp.dir, RENDER_DELAY_MS: '3000', POLL_INTERVAL_MS: '100', HEARTBEAT_MS: '200', LEASE_MS: '3000', WORKER_CONCURRENCY: '2' };
  worker = await startWorker(env);
  api = await startApiProcess({ ...env, WORKER_URL: worker.url });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  page = await browser.newPage();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await Promise.all([api, worker].filter(Boolean).map(stop));
  await tmp.cleanup();
});

const newestCard = () => page.locator('article.job').first();

describe('dashboard', () => {
  it('renders a submitted concept: the progress bar moves, then the image shows', async () => {
    await page.goto(`${api.url}/#project=browser`);
    await expect.poll(() => page.locator('textarea[name=concept]').inputValue()).toContain('"volumes"');
    await page.getByRole('button', { name: 'Render' }).click();
    const card = newestCard();
    await card.waitFor();
    // Progress is seen strictly between 0 and 100 on the way.
    const seen = new Set<number>();
    await expect
      .poll(async () => {
        seen.add(Number(await card.locator('progress').getAttribute('aria-valuenow')));
        return [...seen].some((p) => p > 0 && p < 100);
      }, { timeout: 10_000, interval: 100 })
      .toBe(true);
    await card.locator('img[data-kind=result]').waitFor({ timeout: 15_000 });
    expect(await card.getAttribute('data-status')).toBe('completed');
    // The browser decoded the PNG the API served.
    const width = await card.locator('img[data-kind=result]').evaluate((img) => {
      const el = img as unknown as { complete: boolean; naturalWidth: number };
      return el.complete ? el.naturalWidth : 0;
    });
    expect(width).toBeGreaterThan(100);
  }, 30_000);

  it('cancels a running job from its card', async () => {
    await page.getByRole('button', { name: 'Render' }).click();
    const card = newestCard();
    await expect.poll(() => card.getAttribute('data-status'), { timeout: 10_000 }).toMatch(/pending|processing/);
    await card.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => card.getAttribute('data-status'), { timeout: 10_000 }).toBe('cancelled');
    await expect.poll(() => card.getByRole('button', { name: 'Retry' }).count()).toBe(1);
  }, 30_000);

  it('shows the API’s error for a concept it refuses', async () => {
    await page.locator('textarea[name=concept]').fill('{"site": {"width": 10, "depth": 10}, "volumes": []}');
    await page.getByRole('button', { name: 'Render' }).click();
    await expect.poll(() => page.getByRole('alert').textContent(), { timeout: 5_000 }).toMatch(/volumes: at least one volume/);
  });
});
