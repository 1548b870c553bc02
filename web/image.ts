// Where an <img> or a link can load a job's image from. The API's own image route needs the Bearer
// token when auth is on, which an <img> cannot send: the image is then fetched with it and shown
// from a blob: URL (which also lets "Download" save it under a name). Signed storage URLs and an
// open API are used as they are.
import { useEffect, useState } from 'react';
import { authHeaders } from './session.js';

export function useImageSrc(url: string | null, token: string | null): string | null {
  const direct = !url || !token || /^[a-z]+:/i.test(url);
  const [blobUrl, setBlobUrl] = useState<string | null>(null);
  useEffect(() => {
    if (direct) return;
    let cancelled = false;
    let made: string | null = null;
    void fetch(url, { headers: authHeaders(token) })
      .then((res) => (res.ok ? res.blob() : null))
      .then((blob) => {
        if (cancelled || !blob) return;
        made = URL.createObjectURL(blob);
        setBlobUrl(made);
      })
      .catch(() => undefined);
    return () => {
      cancelled = true;
      if (made) URL.revokeObjectURL(made);
      setBlobUrl(null);
    };
  }, [url, token, direct]);
  return direct ? url : blobUrl;
}
