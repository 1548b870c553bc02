// A drawing's cost is bounded at the edge, and the drawing an API request waits for (the inline
// preview) runs off the API's event loop: other requests are answered meanwhile.
import { describe, expect, it } from 'vitest';
import { useInlineApi } from '../helpers/api.js';
import { UNBOUNDED_CONCEPT, worstCasePreviewBody } from '../helpers/concept.js';

// On fs only: the schema's bounds and where the drawing runs do not depend on the store.
describe('drawing limits and the inline preview', () => {
  const fx = useInlineApi();

  const post = (body: unknown) =>
    fetch(`${fx.api.url}/api/jobs/render`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const issues = async (res: Response) => ((await res.json()) as { error: { code: string; details: Array<{ path: unknown[]; message: string }> } }).error;

  it('refuses a concept that would cost too much to draw: 400, saying what and how to fix it', async () => {
    const res = await post({ projectId: 'limits', renderType: 'axonometric', conceptInputs: UNBOUNDED_CONCEPT });
    expect(res.status).toBe(400);
    const err = await issues(res);
    expect(err.code).toBe('invalid_request');
    expect(err.details).toContainEqual({
      path: ['conceptInputs', 'volumes', 0, 'floorHeight'],
      message: expect.stringContaining('gives 500 floors; at most 200'),
      code: 'custom',
    });
    expect(err.details).toContainEqual({
      path: ['conceptInputs', 'volumes'],
      message: expect.stringContaining('too detailed to draw: 15968 floor lines at 2048 px; at most 1000 at this size'),
      code: 'custom',
    });

    // The same floors at a quarter of the size are within the limit for lines per pixel.
    const small = {
      ...UNBOUNDED_CONCEPT,
      volumes: UNBOUNDED_CONCEPT.volumes.slice(0, 4).map((v) => ({ ...v, floorHeight: 5 })),
      view: { width: 512, height: 512 },
    };
    expect((await post({ projectId: 'limits', renderType: 'axonometric', conceptInputs: small })).status).toBe(202);
  });

  it('draws the costliest preview without holding other requests: the event loop never stalls > 100 ms', async () => {
    // Warm: the preview module and the draw thread load once per process; that is not measured.
    const warm = await post({
      ...worstCasePreviewBody('warm'),
      conceptInputs: { ...worstCasePreviewBody().conceptInputs, volumes: [{ footprint: { width: 100, depth: 100 }, floors: 2 }] },
    });
    expect(warm.status).toBe(201);
    const { jobId } = (await warm.json()) as { jobId: string };
    const poll = `${fx.api.url}/api/jobs/${jobId}?projectId=warm`;
    expect((await fetch(poll)).status).toBe(200);

    // A drawing on the loop stalls it for the whole drawing, every time (0.2–0.5 s of CPU for this
    // preview; 1.9 s measured under load). A busy shared machine also stalls it now and then, at
    // random (up to 90 ms seen here with no drawing at all). So: the best of up to three runs.
    const runs: Array<Awaited<ReturnType<typeof previewWhilePolling>>> = [];
    while (runs.length < 3 && !runs.some((r) => r.stallMs <= 100)) runs.push(await previewWhilePolling(poll));
    const best = runs.reduce((a, b) => (a.stallMs <= b.stallMs ? a : b));
    for (const r of runs) expect(r.status).toBe('completed');
    expect(best.stallMs).toBeLessThanOrEqual(100);
    // Other requests were answered while the preview was drawn, not after it.
    expect(best.answeredDuring).toBeGreaterThan(0);
  });

  /** POSTs the worst preview and polls another job until it is answered, watching how late a 5 ms
   * timer fires on this process's event loop (the API's, in this test). */
  async function previewWhilePolling(poll: string) {
    let stallMs = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const t = performance.now();
        await new Promise((r) => setTimeout(r, 5));
        stallMs = Math.max(stallMs, performance.now() - t - 5);
      }
    })();
    let previewDone = false;
    const preview = post(worstCasePreviewBody('worst')).finally(() => (previewDone = true));
    let answeredDuring = 0;
    while (!previewDone) {
      const res = await fetch(poll);
      await res.arrayBuffer();
      if (!previewDone) answeredDuring++;
    }
    sampling = false;
    await sampler;
    const res = await preview;
    expect(res.status).toBe(201);
    const { job } = (await res.json()) as { job: { status: string } };
    return { stallMs, answeredDuring, status: job.status };
  }
});
