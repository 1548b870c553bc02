// Signing in to an API that has auth on (API_KEY or Supabase Auth): the API key or an access token,
// kept for this tab only (sessionStorage: gone when the tab closes, never shared with other tabs)
// and sent as `Authorization: Bearer`.
import { createClient, type RenderJobs } from '../client/index.js';

const KEY = 'render-jobs:token';

export function storedToken(): string | null {
  return sessionStorage.getItem(KEY);
}

export function storeToken(token: string | null): void {
  if (token) sessionStorage.setItem(KEY, token);
  else sessionStorage.removeItem(KEY);
}

export function clientFor(token: string | null): RenderJobs {
  return createClient({ baseUrl: '', headers: token ? { authorization: `Bearer ${token}` } : {} });
}

/** Headers for a request the SDK does not make itself (an image behind auth). */
export function authHeaders(token: string | null): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}
