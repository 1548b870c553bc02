/** JSON.parse that answers null instead of throwing: for objects whose damage we report ourselves. */
export function parseJsonOrNull(body: Buffer | string): unknown {
  try {
    return JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch {
    return null;
  }
}
