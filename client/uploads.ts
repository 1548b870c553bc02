// uploads.create (where to put large inputs) and uploads.upload (create, then PUT each file).
import type { Core } from './core.js';
import { errorFromResponse } from './errors.js';

export interface UploadTarget {
  uploadId: string;
  url: string;
  method: string;
  headers: Record<string, string>;
}

export class Uploads {
  constructor(private readonly core: Core) {}

  create(projectId: string, files: Array<{ contentType: string; bytes: number }>, opts: { signal?: AbortSignal } = {}): Promise<{ uploads: UploadTarget[]; maxBytes: number; expiresAt: string }> {
    return this.core.request('POST', '/api/uploads', { body: { projectId, files }, signal: opts.signal });
  }

  /** Uploads each file straight to storage; resolves with the upload ids for `references`. */
  async upload(projectId: string, files: Array<{ data: Blob | Uint8Array; contentType: string }>, opts: { signal?: AbortSignal } = {}): Promise<string[]> {
    const sizeOf = (d: Blob | Uint8Array) => (d instanceof Uint8Array ? d.byteLength : d.size);
    const { uploads } = await this.create(projectId, files.map((f) => ({ contentType: f.contentType, bytes: sizeOf(f.data) })), opts);
    await Promise.all(
      uploads.map(async (u, i) => {
        const res = await this.core.fetch(this.core.url(u.url), { method: u.method, headers: u.headers, body: files[i]!.data as NonNullable<RequestInit['body']>, signal: opts.signal });
        if (!res.ok) throw await errorFromResponse(res);
      }),
    );
    return uploads.map((u) => u.uploadId);
  }
}
