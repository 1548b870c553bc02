import { describe, expect, it } from 'vitest';
import { ConceptInputs } from '../../shared/job/concept.js';
import { AxonometricRenderer } from '../../shared/providers/axonometric/index.js';
import { drawConcept } from '../../shared/providers/axonometric/draw.js';
import type { RenderProgress } from '../../shared/providers/provider.js';
import { UNBOUNDED_CONCEPT, exampleRequest } from '../helpers/concept.js';

const input = (conceptInputs = exampleRequest().conceptInputs) => ({ jobId: 'j', projectId: 'p', conceptId: 'c', renderType: 'axonometric', conceptInputs });

describe('axonometric drawing', () => {
  it('is deterministic: the same concept gives the same SVG', () => {
    const c = exampleRequest().conceptInputs;
    expect(drawConcept(c).svg).toBe(drawConcept(structuredClone(c)).svg);
  });

  it('changes with the view angle and with the massing', () => {
    const c = exampleRequest().conceptInputs;
    const base = drawConcept(c).svg;
    expect(drawConcept({ ...c, view: { ...c.view, azimuthDeg: 120 } }).svg).not.toBe(base);
    expect(drawConcept({ ...c, volumes: c.volumes.slice(0, 1) }).svg).not.toBe(base);
  });

  it('draws only the faces that face the viewer (three of a box’s six, less the floor)', () => {
    const c = ConceptInputs.parse({ site: { width: 20, depth: 20 }, volumes: [{ footprint: { width: 10, depth: 10 }, offset: { x: 5, y: 5 }, height: 10 }] });
    expect(drawConcept(c).faceCount).toBe(3); // two walls and the roof
  });

  it.each(['flat', 'gable', 'hip', 'shed'] as const)('renders a %s roof to a PNG of the requested size', async (form) => {
    const c = ConceptInputs.parse({
      site: { width: 20, depth: 20 },
      volumes: [{ footprint: { width: 12, depth: 8 }, offset: { x: 4, y: 6 }, floors: 2, roof: { form, pitchDeg: 30 } }],
      view: { width: 320, height: 256 },
    });
    const out = await new AxonometricRenderer({ delayMs: 0 }).render(input(c), { signal: new AbortController().signal, onProgress: () => undefined });
    expect(out.image.subarray(1, 4).toString()).toBe('PNG');
    expect([out.image.readUInt32BE(16), out.image.readUInt32BE(20)]).toEqual([320, 256]);
  });
});

describe('AxonometricRenderer', () => {
  it('reports progress in stages, rising, and stretches to RENDER_DELAY_MS', async () => {
    const seen: RenderProgress[] = [];
    const t = performance.now();
    await new AxonometricRenderer({ delayMs: 600 }).render(input(), { signal: new AbortController().signal, onProgress: (p) => seen.push(p) });
    expect(performance.now() - t).toBeGreaterThanOrEqual(590);
    const values = seen.map((p) => p.progress);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(new Set(seen.map((p) => p.stage))).toEqual(new Set(['preparing', 'massing', 'drawing', 'rasterizing']));
  });

  it('refuses a stored concept beyond the drawing limits without drawing it (queued before a limit was lowered)', async () => {
    const c = ConceptInputs.parse(UNBOUNDED_CONCEPT);
    const t = performance.now();
    const run = new AxonometricRenderer({ delayMs: 0 }).render(input(c), { signal: new AbortController().signal, onProgress: () => undefined });
    await expect(run).rejects.toMatchObject({ code: 'drawing_too_complex', retryable: false });
    expect(performance.now() - t).toBeLessThan(1000);
  });

  it('stops promptly when aborted', async () => {
    const abort = new AbortController();
    const run = new AxonometricRenderer({ delayMs: 30_000 }).render(input(), { signal: abort.signal, onProgress: () => undefined });
    const t = performance.now();
    setTimeout(() => abort.abort(new Error('stop')), 50);
    await expect(run).rejects.toThrow();
    expect(performance.now() - t).toBeLessThan(1000);
  });
});
