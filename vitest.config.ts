import { defineConfig } from 'vitest/config';

// Live tests talk to a real Supabase project: only when one is configured.
const live = Boolean(process.env.SUPABASE_URL && process.env.SUPABASE_SERVICE_ROLE_KEY);

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: live ? ['**/node_modules/**'] : ['**/node_modules/**', '**/*.live.test.ts'],
    // Crash and drain tests start real worker processes; two files at a time suits a 2-core machine.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
