import { defineConfig } from 'vitest/config';

// A real-project run of the conformance suite, opt-in by name (npm test covers the real server below).
const exclude = ['**/node_modules/**', '**/*.live.test.ts'];
// Tests that drive a real browser.
const browser = ['test/web/**/*.test.ts'];
// Chaos, load and fuzz runs take the whole machine: they run after everything else, one at a
// time, so that timing-sensitive tests (leases of 1.5 s) never share the cores with them.
const heavy = ['test/chaos/**/*.test.ts', 'test/load/**/*.test.ts', 'test/fuzz/**/*.test.ts'];

// Every store-parameterised suite, once more against the real Supabase Storage server named by
// SUPABASE_URL / SUPABASE_SERVICE_ROLE_KEY (../shared/supabase-storage/run.sh up; STORE=supabase-real).
// `npm test` includes it when those are set (.ci/run sets them); `npm run test:real-storage` runs it alone.
const realServer = Boolean(process.env.SUPABASE_URL && process.env.SUPABASE_SERVICE_ROLE_KEY) || process.env.REAL_STORAGE_PROJECT === '1';
const realStorageSuites = [
  'test/store/store.test.ts',
  'test/store/supabase-fidelity.test.ts',
  'test/queue/{claim,controls,holder,outcomes,prune,requests-per-job,racy-creates}.test.ts',
  'test/worker/{claim-loop,crash,app}.test.ts',
  'test/api/{routes,outlook,cron,kinds,bad-input,openapi,auth,request-id,seed-client,uploads-guard}.test.ts',
  'test/cli/migrate-keys.test.ts',
  'test/chaos/chaos.test.ts',
];

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
      {
        extends: true,
        test: { name: 'browser', include: browser, exclude, globalSetup: ['test/setup/browser.ts'], fileParallelism: false, sequence: { groupOrder: 1 } },
      },
      { extends: true, test: { name: 'proof', include: heavy, exclude, fileParallelism: false, sequence: { groupOrder: 2 } } },
      ...(realServer
        ? [
            {
              extends: true as const,
              // One file at a time: the server shares the machine's cores with the test and its workers.
              test: {
                name: 'real-storage',
                include: realStorageSuites,
                exclude,
                env: { STORE: 'supabase-real' },
                fileParallelism: false,
                sequence: { groupOrder: 3 },
              },
            },
          ]
        : []),
    ],
  },
});
