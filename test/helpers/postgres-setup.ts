// Vitest global setup: when STORE selects postgres and no TEST_DATABASE_URL is given, one
// throwaway PostgreSQL cluster serves the whole run (test files that need Postgres whatever STORE
// says start their own, see postgres.ts).
import { startCluster } from '../../scripts/postgres-cluster.js';
import { ALL_STAND_IN_STORES } from './stores.js';

export default async function setup(): Promise<(() => void) | void> {
  const wanted = (process.env.STORE ?? ALL_STAND_IN_STORES.join(',')).split(',').map((s) => s.trim());
  if (!wanted.includes('postgres') || process.env.TEST_DATABASE_URL) return;
  const cluster = await startCluster();
  // Test workers (and the worker processes they start) inherit it.
  process.env.TEST_DATABASE_URL = cluster.url;
  return () => cluster.stop();
}
