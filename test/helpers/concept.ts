// The example concept from examples/concept.json, as tests send it.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { RenderRequest } from '../../shared/job/request.js';
import { ROOT } from '../../scripts/processes.js';
export const exampleBody = JSON.parse(readFileSync(path.join(ROOT, 'examples', 'concept.json'), 'utf8')) as Record<string, unknown>;

export function exampleRequest(projectId = 'p1'): RenderRequest {
  return RenderRequest.parse({ ...exampleBody, projectId });
}

/** A small concept that renders fast (256×256). */
export function smallRequest(projectId = 'p1'): RenderRequest {
  return RenderRequest.parse({
    projectId,
    renderType: 'axonometric',
    conceptInputs: {
      site: { width: 20, depth: 20 },
      volumes: [{ footprint: { width: 10, depth: 8 }, offset: { x: 5, y: 5 }, floors: 3 }],
      view: { width: 256, height: 256 },
    },
  });
}

/**
 * The costliest drawing the schema allows (see DRAWING_LIMITS): 32 full-site volumes stacked on one
 * another (every wall drawn over the whole canvas), 1,000 floor lines, 2048 × 2048 px.
 */
export function worstCaseRequest(projectId = 'p1'): RenderRequest {
  return RenderRequest.parse({
    projectId,
    renderType: 'axonometric',
    conceptInputs: {
      site: { width: 1000, depth: 1000 },
      // 24 volumes with 31 floor lines and 8 with 32: 1,000 in all.
      volumes: Array.from({ length: 32 }, (_, i) => ({ footprint: { width: 1000, depth: 1000 }, height: 1000, floors: i < 8 ? 33 : 32 })),
      view: { width: 2048, height: 2048 },
    },
  });
}

/** What a worst-case render looked like before drawing was bounded: 32 × 499 floor lines at 2048 px. */
export const UNBOUNDED_CONCEPT = {
  site: { width: 1000, depth: 1000 },
  volumes: Array.from({ length: 32 }, () => ({ footprint: { width: 1000, depth: 1000 }, height: 1000, floorHeight: 2 })),
  view: { width: 2048, height: 2048 },
};

/** The costliest inline preview: previews are drawn at most 512 px wide, and 4,000 floor lines are
 * the limit at 512 px (32 stacked full-site volumes of 126 floors). */
export function worstCasePreviewBody(projectId = 'p1') {
  return {
    projectId,
    renderType: 'axonometric',
    kind: 'preview',
    conceptInputs: {
      site: { width: 1000, depth: 1000 },
      volumes: Array.from({ length: 32 }, () => ({ footprint: { width: 1000, depth: 1000 }, height: 1000, floors: 126 })),
      view: { width: 512, height: 512 },
    },
  };
}
