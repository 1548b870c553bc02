// The URL a client fetches an image from: a signed storage URL where the store can sign (Supabase:
// the bytes never pass through a function, and Vercel's 4.5 MB response cap does not apply), else
// the API's own image route (filesystem store).
import type { ObjectStore } from '../store/object-store.js';
import { jobUrls } from './urls.js';

export interface ImageLink {
  url: string;
  /** When a signed URL stops working; null for the API route, which never expires. */
  expiresAt: string | null;
}

export async function imageLink(
  store: ObjectStore,
  ref: { projectId: string; jobId: string },
  key: string,
  opts: { variant?: 'image' | 'preview'; ttlS: number; now?: number },
): Promise<ImageLink> {
  if (store.signedUrl) {
    const url = await store.signedUrl(key, opts.ttlS);
    return { url, expiresAt: new Date((opts.now ?? Date.now()) + opts.ttlS * 1000).toISOString() };
  }
  const base = jobUrls(ref.projectId, ref.jobId).imageUrl;
  return { url: opts.variant === 'preview' ? `${base}&variant=preview` : base, expiresAt: null };
}
