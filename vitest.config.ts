import { defineConfig } from 'vitest/config';

// Live tests talk to a real Supabase project: only when one is configured.
const live = Boolean(process.env.SUPABASE_URL && process.env.SUPABASE_SERVICE_ROLE_KEY);

const exclude = live ? ['**/node_modules/**'] : ['**/node_modules/**', '**/*.live.test.ts'];
// Tests that drive a real browser.
const browser = ['test/web/**/*.test.ts'];
// Chaos, load and fuzz runs take the whole machine: they run after everything else, one at a
// time, so that timing-sensitive tests (leases of 1.5 s) never share the cores with them.
const heavy = ['test/chaos/**/*.test.ts', 'test/load/**/*.test.ts', 'test/fuzz/**/*.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // STORE=postgres without TEST_DATABASE_URL: a throwaway PostgreSQL cluster for the run.
    globalSetup: ['test/helpers/postgres-setup.ts'],
    projects: [
      {
        extends: true,
        // Crash and drain tests start real worker processes; two files at a time suits a 2-core machine.
        test: { name: 'suite', include: ['test/**/*.test.ts'], exclude: [...exclude, ...heavy, ...browser], maxWorkers: 2, sequence: { groupOrder: 0 } },
      },
      // Its own project so that its setup (find or install Chromium) runs only when a browser test does.
      { extends: true, test: { name: 'browser', include: browser, exclude, globalSetup: ['test/setup/browser.ts'], fileParallelism: false, sequence: { groupOrder: 1 } } },
      { extends: true, test: { name: 'proof', include: heavy, exclude, fileParallelism: false, sequence: { groupOrder: 2 } } },
    ],
  },
});
