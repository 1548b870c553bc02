// The render request a client sends to `POST /api/jobs/render` (the seed's shape, plus a kind).
import { z } from 'zod';
import { ConceptId, ProjectId, UploadId } from '../ids.js';
import { WebhookSpec } from '../webhooks/spec.js';
import { ConceptInputs } from './concept.js';

export const RENDER_TYPES = ['axonometric'] as const;
export const RenderType = z.enum(RENDER_TYPES);

/** What the job does; each kind is one file in `shared/kinds/`. */
export const JOB_KINDS = ['render', 'edit', 'preview'] as const;
export const JobKindName = z.enum(JOB_KINDS);
export type JobKindName = z.output<typeof JobKindName>;

export const MAX_REFERENCES = 8;

export const RenderRequest = z
  .strictObject({
    projectId: ProjectId,
    renderType: RenderType,
    kind: JobKindName.default('render'),
    /** Defaults to a hash of `conceptInputs`: the same concept gets the same id. */
    conceptId: ConceptId.optional(),
    conceptInputs: ConceptInputs,
    /** Uploaded reference images (POST /api/uploads first), for `kind: "edit"`. */
    references: z.array(UploadId).min(1).max(MAX_REFERENCES).optional(),
    maxAttempts: z.number().int().min(1).max(10).optional(),
    /** Signed POSTs to this URL on the chosen events (Standard Webhooks). */
    webhook: WebhookSpec.optional(),
  })
  .superRefine((r, ctx) => {
    if (r.kind === 'edit' && !r.references) {
      ctx.addIssue({ code: 'custom', path: ['references'], message: 'an edit needs at least one uploaded reference image' });
    }
    if (r.kind !== 'edit' && r.references) {
      ctx.addIssue({ code: 'custom', path: ['references'], message: `reference images are for kind "edit", not "${r.kind}"` });
    }
    if (r.references && new Set(r.references).size !== r.references.length) {
      ctx.addIssue({ code: 'custom', path: ['references'], message: 'the same upload is listed twice' });
    }
  });

export type RenderRequest = z.output<typeof RenderRequest>;
