// Debian's redis-server on a free loopback port, for the BullMQ side of the bench; stopped after.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

export async function startRedis(): Promise<{ port: number; stop(): Promise<void> } | null> {
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const ready = await new Promise<boolean>((resolve) => {
    child.on('error', () => resolve(false)); // not installed
    child.stdout.on('data', (d: Buffer) => d.toString().includes('Ready to accept connections') && resolve(true));
    child.on('exit', () => resolve(false));
  });
  if (!ready) return null;
  return {
    port,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
