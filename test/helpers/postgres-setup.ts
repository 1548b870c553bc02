// Vitest global setup: when STORE selects postgres and no TEST_DATABASE_URL is given, start a
// throwaway cluster of Debian's PostgreSQL on a free loopback port for this run, and stop it after.
import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ALL_STAND_IN_STORES } from './stores.js';

const SCRIPT = path.resolve(import.meta.dirname, '../../scripts/postgres.sh');

export default async function setup(): Promise<(() => Promise<void>) | void> {
  const wanted = (process.env.STORE ?? ALL_STAND_IN_STORES.join(',')).split(',').map((s) => s.trim());
  if (!wanted.includes('postgres') || process.env.TEST_DATABASE_URL) return;
  const parent = await mkdtemp(path.join(tmpdir(), 'render-jobs-pgdata-'));
  await chmod(parent, 0o755); // the cluster runs as the postgres user
  const dir = path.join(parent, 'data');
  const url = execFileSync(SCRIPT, ['up', dir, String(await freePort())], { encoding: 'utf8' }).trim();
  // Test workers (and the worker processes they start) inherit it.
  process.env.TEST_DATABASE_URL = url;
  return async () => {
    execFileSync(SCRIPT, ['down', dir]);
    await rm(parent, { recursive: true, force: true });
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
