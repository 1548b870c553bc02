// Open event streams per caller, on this instance. Each stream re-reads its job every second or so
// for up to a function's budget; a caller opening hundreds would multiply storage reads. Counted in
// memory: a serverless instance serves one stream at a time anyway and streams end within the
// budget, so the cap matters where one long-lived server (the local API) holds many.
import { AppError } from '../../shared/errors.js';

const open = new Map<string, number>();

export class TooManyStreamsError extends AppError {
  constructor(limit: number) {
    super('too_many_streams', `At most ${limit} event streams may be open at once; close one or poll the status route.`, {
      status: 429,
      retryable: true,
      details: { limit },
    });
  }
}

/** Counts a stream for `scope` (null: not limited); returns the function that ends it (idempotent). */
export function openStream(scope: string | null, limit: number): () => void {
  if (scope === null) return () => undefined;
  const count = open.get(scope) ?? 0;
  if (count >= limit) throw new TooManyStreamsError(limit);
  open.set(scope, count + 1);
  let ended = false;
  return function endStream() {
    if (ended) return;
    ended = true;
    const left = (open.get(scope) ?? 1) - 1;
    if (left <= 0) open.delete(scope);
    else open.set(scope, left);
  };
}
