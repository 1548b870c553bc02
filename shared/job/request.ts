// The render request a client sends to `POST /api/jobs/render` (the seed's shape).
import { z } from 'zod';
import { ConceptId, ProjectId } from '../ids.js';
import { ConceptInputs } from './concept.js';

export const RENDER_TYPES = ['axonometric'] as const;
export const RenderType = z.enum(RENDER_TYPES);

export const RenderRequest = z.strictObject({
  projectId: ProjectId,
  renderType: RenderType,
  /** Defaults to a hash of `conceptInputs`: the same concept gets the same id. */
  conceptId: ConceptId.optional(),
  conceptInputs: ConceptInputs,
  maxAttempts: z.number().int().min(1).max(10).optional(),
});

export type RenderRequest = z.output<typeof RenderRequest>;
