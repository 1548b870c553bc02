// The URLs a client follows for a job, relative to the API's origin.
export function jobUrls(projectId: string, jobId: string) {
  const q = `?projectId=${encodeURIComponent(projectId)}`;
  const base = `/api/jobs/${encodeURIComponent(jobId)}`;
  return {
    pollUrl: base + q,
    processUrl: `${base}/process${q}`,
    eventsUrl: `${base}/events${q}`,
    cancelUrl: `${base}/cancel${q}`,
    imageUrl: `${base}/image${q}`,
  };
}
