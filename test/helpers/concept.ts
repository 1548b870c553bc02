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
