// Tests and benches: a throwaway cluster of Debian's PostgreSQL (scripts/postgres.sh) on a free loopback port.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const SCRIPT = path.resolve(import.meta.dirname, 'postgres.sh');

export async function startCluster(): Promise<{ url: string; stop(): void }> {
  const parent = mkdtempSync(path.join(tmpdir(), 'render-jobs-pgdata-'));
  chmodSync(parent, 0o755); // the cluster runs as the postgres user
  const dir = path.join(parent, 'data');
  const url = execFileSync(SCRIPT, ['up', dir, String(await freePort())], { encoding: 'utf8' }).trim();
  return {
    url,
    stop() {
      execFileSync(SCRIPT, ['down', dir]);
      rmSync(parent, { recursive: true, force: true });
    },
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
