// The dashboard in a real browser: Chromium (found or installed by test/setup/browser.ts) driven by playwright-core, against the real
// local API server and worker processes, with the bundle built from this tree. An open API: an empty
// project says so; a submitted concept's card (title, created, took) fills in as it renders and its
// image opens and downloads; cancel, then retry; a refused concept; paging past 20 jobs. With auth
// on and a renderer that streams partial images: signing in for the tab, previews while rendering.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Browser, chromium, type Page } from 'playwright-core';
import { buildWeb } from '../../scripts/build-web.js';
import { type Proc, startApiProcess, startWorker, stop } from '../../scripts/processes.js';
import { exampleBody } from '../helpers/concept.js';
import { tempDir } from '../helpers/stores.js';
import { OPENAI_KEY, OpenAIImagesStandIn } from '../stand-ins/openai-images.js';
import { serveHandlers, type ServedHandlers } from '../stand-ins/serve.js';

// Found (or installed) by test/setup/browser.ts: CHROMIUM_PATH, Debian's chromium, or Playwright's.
const CHROMIUM = inject('chromiumPath');
// The flags this machine needs: no sandbox as root, and no background connections to a closed network.
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
const BASE_ENV = {
  RENDER_DELAY_MS: '3000',
  POLL_INTERVAL_MS: '100',
  HEARTBEAT_MS: '200',
  LEASE_MS: '3000',
  WORKER_CONCURRENCY: '2',
  CREATE_RATE_PER_MINUTE: '0',
};
const TITLE = (exampleBody.conceptInputs as { title: string }).title;

let browser: Browser;

beforeAll(async () => {
  // The server builds public/ only when it is missing: build it from this tree.
  await buildWeb();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

/** A worker and an API over one temp folder, for one describe block. */
function useProcesses(env: () => Record<string, string>, apiEnv: () => Record<string, string> = () => ({})) {
  const fx = {} as { api: Proc; worker: Proc; page: Page; cleanup: () => Promise<void> };
  beforeAll(async () => {
    const tmp = await tempDir();
    const all = { JOBS_DIR: tmp.dir, ...BASE_ENV, ...env() };
    fx.worker = await startWorker(all);
    fx.api = await startApiProcess({ ...all, ...apiEnv(), WORKER_URL: fx.worker.url });
    fx.page = await browser.newPage();
    fx.cleanup = tmp.cleanup;
  }, 60_000);
  afterAll(async () => {
    await fx.page?.close();
    await Promise.all([fx.api, fx.worker].filter(Boolean).map(stop));
    await fx.cleanup?.();
  });
  return fx;
}

describe('dashboard on an open API', () => {
  const fx = useProcesses(() => ({}));
  const newestCard = () => fx.page.locator('article.job').first();

  it('says so when the project has no jobs yet', async () => {
    await fx.page.goto(`${fx.api.url}/#project=browser`);
    await expect.poll(() => fx.page.getByRole('status').textContent()).toMatch(/No jobs in project “browser” yet/);
    expect(await fx.page.locator('article.job').count()).toBe(0);
  });

  it('renders a submitted concept: title and creation time, the bar moves, then the image and how long it took', async () => {
    const { page } = fx;
    await expect.poll(() => page.locator('textarea[name=concept]').inputValue()).toContain('"volumes"');
    const submittedAt = Date.now();
    await page.getByRole('button', { name: 'Render' }).click();
    const card = newestCard();
    await card.waitFor();
    await expect.poll(() => page.getByRole('status').count()).toBe(0); // the empty notice is gone
    await expect.poll(() => card.locator('[data-field=title]').textContent()).toBe(TITLE);
    const created = Date.parse((await card.locator('[data-field=created] time').getAttribute('datetime')) ?? '');
    expect(Math.abs(created - submittedAt)).toBeLessThan(10_000);
    // Progress is seen strictly between 0 and 100 on the way.
    const seen = new Set<number>();
    await expect
      .poll(
        async () => {
          seen.add(Number(await card.locator('progress').getAttribute('aria-valuenow')));
          return [...seen].some((p) => p > 0 && p < 100);
        },
        { timeout: 10_000, interval: 100 },
      )
      .toBe(true);
    await card.locator('img[data-kind=result]').waitFor({ timeout: 15_000 });
    expect(await card.getAttribute('data-status')).toBe('completed');
    // The render was held 3 s (RENDER_DELAY_MS): the card says how long the whole wait was.
    const took = (await card.locator('[data-field=took]').textContent()) ?? '';
    expect(took).toMatch(/^took (\d+\.\d) s \(render (\d+\.\d) s\)$/);
    expect(Number(/took (\d+\.\d)/.exec(took)![1])).toBeGreaterThanOrEqual(3);
    // The browser decoded the PNG the API served.
    const width = await card.locator('img[data-kind=result]').evaluate((img) => {
      const el = img as unknown as { complete: boolean; naturalWidth: number };
      return el.complete ? el.naturalWidth : 0;
    });
    expect(width).toBeGreaterThan(100);
  }, 30_000);

  it('opens the full image in a new tab and downloads it under the concept’s name', async () => {
    const card = newestCard();
    const [tab] = await Promise.all([fx.page.context().waitForEvent('page'), card.getByRole('link', { name: 'Open full image' }).click()]);
    await tab.waitForLoadState();
    expect(tab.url()).toMatch(/\/api\/jobs\/[0-9a-z]+\/image\?projectId=browser$/);
    expect(await tab.locator('img').evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBeGreaterThan(100);
    await tab.close();
    const [download] = await Promise.all([fx.page.waitForEvent('download'), card.getByRole('link', { name: 'Download' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^courtyard-housing-concept-a-[0-9a-z]{8}\.png$/);
    const bytes = await readFile((await download.path())!);
    expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(bytes.length).toBeGreaterThan(1000);
  }, 30_000);

  it('cancels a running job; retry makes a new card and the old one says it was retried', async () => {
    const { page } = fx;
    await page.getByRole('button', { name: 'Render' }).click();
    await expect.poll(() => page.locator('article.job').count()).toBe(2);
    const card = newestCard();
    const oldId = (await card.getAttribute('data-job-id'))!;
    const old = page.locator(`article[data-job-id="${oldId}"]`);
    await expect.poll(() => old.getAttribute('data-status'), { timeout: 10_000 }).toMatch(/pending|processing/);
    await old.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => old.getAttribute('data-status'), { timeout: 10_000 }).toBe('cancelled');
    await expect.poll(() => old.locator('[data-field=took]').textContent()).toMatch(/^ended after \d+\.\d s$/);
    await old.getByRole('button', { name: 'Retry' }).click();
    await expect.poll(() => page.locator('article.job').count()).toBe(3);
    const newId = (await newestCard().getAttribute('data-job-id'))!;
    expect(newId).not.toBe(oldId);
    expect(await newestCard().locator('[data-field=title]').textContent()).toBe(TITLE);
    await expect.poll(() => old.locator('[data-field=retried]').textContent()).toBe(`Retried as ${newId.slice(0, 12)}…`);
    expect(await old.getByRole('button', { name: 'Retry' }).count()).toBe(0);
    // The old card still says so after a reload: the retry kept the concept's id.
    await page.reload();
    await expect
      .poll(() => page.locator(`article[data-job-id="${oldId}"] [data-field=retried]`).textContent(), { timeout: 10_000 })
      .toBe(`Retried as ${newId.slice(0, 12)}…`);
    await expect.poll(() => newestCard().getAttribute('data-status'), { timeout: 15_000 }).toBe('completed');
  }, 45_000);

  it('shows the API’s error for a concept it refuses', async () => {
    const { page } = fx;
    await page.locator('textarea[name=concept]').fill('{"site": {"width": 10, "depth": 10}, "volumes": []}');
    await page.getByRole('button', { name: 'Render' }).click();
    await expect.poll(() => page.getByRole('alert').textContent(), { timeout: 5_000 }).toMatch(/volumes: at least one volume/);
  });

  it('pages through a project of more than 20 jobs', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 23; i++) {
      const res = await fetch(`${fx.api.url}/api/jobs/render`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          ...exampleBody,
          projectId: 'many',
          kind: 'preview',
          conceptInputs: { ...(exampleBody.conceptInputs as object), title: `Variant ${i + 1}` },
        }),
      });
      expect(res.status).toBe(201);
      ids.push(((await res.json()) as { jobId: string }).jobId);
    }
    const { page } = fx;
    await page.goto(`${fx.api.url}/#project=many`);
    await expect.poll(() => page.locator('article.job').count()).toBe(20);
    expect(await page.locator('article.job [data-field=title]').first().textContent()).toBe('Variant 23');
    await page.getByRole('button', { name: 'Load more jobs' }).click();
    await expect.poll(() => page.locator('article.job').count()).toBe(23);
    expect(
      await page
        .locator('article.job')
        .evaluateAll((cards) => cards.map((c) => (c as unknown as { getAttribute(name: string): string | null }).getAttribute('data-job-id'))),
    ).toEqual([...ids].reverse());
    expect(await page.getByRole('button', { name: 'Load more jobs' }).count()).toBe(0);
  }, 45_000);
});

describe('dashboard with auth on (API_KEY) and a renderer that streams previews', () => {
  const API_KEY = 'dashboard-test-key-0123456789abcdef';
  let openai: OpenAIImagesStandIn | undefined;
  let served: ServedHandlers;
  beforeAll(async () => {
    served = await serveHandlers(() => openai!.handlers);
    openai = new OpenAIImagesStandIn(`${served.url}/v1`);
    // Two partial images a second apart, then the image: previews show while the job runs.
    openai.eventGapMs = 1_000;
  });
  afterAll(async () => served?.close());
  const fx = useProcesses(
    () => ({ RENDER_DELAY_MS: '0', OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: `${served.url}/v1`, OPENAI_PARTIAL_IMAGES: '2' }),
    () => ({ API_KEY }),
  );

  it('asks for a key, says when it is refused, and keeps the right one for this tab only', async () => {
    const { page } = fx;
    await page.goto(`${fx.api.url}/#project=secure`);
    const form = page.getByRole('form', { name: 'sign in' });
    await form.waitFor();
    await form.getByLabel('API key or access token').fill('not-the-key');
    await form.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => form.getByRole('alert').textContent()).toMatch(/^Not accepted/);
    await form.getByLabel('API key or access token').fill(API_KEY);
    await form.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toMatch(/No jobs in project “secure” yet/);
    await page.reload();
    await expect.poll(() => page.getByRole('status').textContent()).toMatch(/No jobs in project “secure” yet/);
    // Another tab has its own session: it asks again.
    const other = await browser.newPage();
    await other.goto(`${fx.api.url}/#project=secure`);
    await other.getByRole('form', { name: 'sign in' }).waitFor();
    await other.close();
  }, 30_000);

  it('shows previews while the job renders, then the image, fetched with the key', async () => {
    const { page } = fx;
    await page.getByRole('button', { name: 'Render' }).click();
    const card = page.locator('article.job').first();
    await card.locator('img[data-kind=preview]').waitFor({ timeout: 15_000 });
    expect(await card.getAttribute('data-status')).toBe('processing');
    expect(await card.locator('img[data-kind=preview]').evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBe(8);
    await card.locator('img[data-kind=result]').waitFor({ timeout: 15_000 });
    expect(await card.getAttribute('data-status')).toBe('completed');
    expect(await card.locator('img[data-kind=result]').getAttribute('src')).toMatch(/^blob:/);
    const [download] = await Promise.all([page.waitForEvent('download'), card.getByRole('link', { name: 'Download' }).click()]);
    expect(download.suggestedFilename()).toMatch(/\.png$/);
    expect((await readFile((await download.path())!)).subarray(1, 4).toString('latin1')).toBe('PNG');
  }, 45_000);
});
