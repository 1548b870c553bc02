// uploads.create (where to put large inputs) and uploads.upload (create, then PUT each file straight
// to storage). Files are Blobs (a File is one), bytes (Uint8Array, ArrayBuffer), or either with its
// content type; without one, a Blob's own type is used, else the image type its first bytes show.
import type { Core } from './core.js';
import { errorFromResponse, RenderJobsError } from './errors.js';

export interface UploadTarget {
  uploadId: string;
  url: string;
  method: string;
  headers: Record<string, string>;
}

export type UploadData = Blob | Uint8Array | ArrayBuffer;
export type UploadFile = UploadData | { data: UploadData; contentType?: string };

type ImageType = 'image/png' | 'image/jpeg' | 'image/webp';

export class Uploads {
  constructor(private readonly core: Core) {}

  create(
    projectId: string,
    files: Array<{ contentType: string; bytes: number }>,
    opts: { signal?: AbortSignal } = {},
  ): Promise<{ uploads: UploadTarget[]; maxBytes: number; expiresAt: string }> {
    return this.core.request('POST', '/api/uploads', { body: { projectId, files }, signal: opts.signal });
  }

  /** Uploads each file straight to storage; resolves with the upload ids, in order, for `references`. */
  async upload(projectId: string, files: UploadFile[], opts: { signal?: AbortSignal } = {}): Promise<string[]> {
    const prepared = await Promise.all(files.map(prepare));
    const { uploads } = await this.create(
      projectId,
      prepared.map((f) => ({ contentType: f.contentType, bytes: f.body.size })),
      opts,
    );
    await Promise.all(
      uploads.map(async (u, i) => {
        const res = await this.core.fetch(this.core.url(u.url), { method: u.method, headers: u.headers, body: prepared[i]!.body, signal: opts.signal });
        if (!res.ok) throw await errorFromResponse(res);
      }),
    );
    return uploads.map((u) => u.uploadId);
  }
}

/** Every kind of input as a Blob: fetch sends a Blob the same way in every runtime. */
async function prepare(file: UploadFile): Promise<{ body: Blob; contentType: string }> {
  const given = isUploadData(file) ? { data: file, contentType: undefined } : file;
  if (!given || !isUploadData(given.data)) {
    throw new RenderJobsError('invalid_request', 'Each upload is a Blob, a File, a Uint8Array or an ArrayBuffer (or { data, contentType }).');
  }
  const body = given.data instanceof Blob ? given.data : new Blob([copyOf(given.data)]);
  const contentType = given.contentType ?? (given.data instanceof Blob && given.data.type ? given.data.type : await sniff(body));
  if (!contentType)
    throw new RenderJobsError('invalid_request', 'Could not tell the image type of an upload: give its contentType (image/png, image/jpeg or image/webp).');
  return { body, contentType };
}

function isUploadData(value: unknown): value is UploadData {
  return value instanceof Blob || value instanceof Uint8Array || value instanceof ArrayBuffer;
}

/** Bytes backed by a plain ArrayBuffer, as Blob's types ask (a view may sit on a SharedArrayBuffer). */
function copyOf(data: Uint8Array | ArrayBuffer): Uint8Array<ArrayBuffer> {
  return data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data);
}

async function sniff(blob: Blob): Promise<ImageType | null> {
  const b = new Uint8Array(await blob.slice(0, 12).arrayBuffer());
  const ascii = (from: number, to: number) => String.fromCharCode(...b.subarray(from, to));
  if (b[0] === 0x89 && ascii(1, 4) === 'PNG') return 'image/png';
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'image/webp';
  return null;
}
