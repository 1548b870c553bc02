// When a failed attempt runs again: exponential backoff with "full jitter" (AWS architecture blog),
// so retries of many jobs that failed together do not arrive together.

export function retryDelayMs(attempt: number, opts: { baseMs: number; maxMs: number }, random: () => number = Math.random): number {
  const ceiling = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.max(0, attempt - 1));
  // Half fixed, half random: never retry instantly, never wait past the cap.
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
