// Telling the worker there is work, without ever waiting on it for long: a lost poke only delays a
// job until the worker's next scan.
import { waitUntil } from '@vercel/functions';
import type { AppContext } from './context.js';

export function pokeWorker(ctx: AppContext, ref: { projectId: string; jobId: string }): Promise<boolean> {
  const { workerUrl, workerSecret, pokeTimeoutMs } = ctx.config;
  if (!workerUrl) return Promise.resolve(false);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (workerSecret) headers.authorization = `Bearer ${workerSecret}`;
  const poke = fetch(`${workerUrl}/process`, {
    method: 'POST',
    headers,
    body: JSON.stringify(ref),
    signal: AbortSignal.timeout(pokeTimeoutMs),
  }).then(
    async (res) => {
      await res.body?.cancel();
      if (!res.ok) ctx.log.warn({ status: res.status, jobId: ref.jobId }, 'worker refused the poke');
      return res.ok;
    },
    (err: unknown) => {
      ctx.log.warn({ err: (err as Error).message, jobId: ref.jobId }, 'worker poke failed; it will find the job on its next scan');
      return false;
    },
  );
  // On Vercel the function may be frozen once the response is sent; this keeps the poke alive.
  waitUntil(poke);
  return poke;
}
