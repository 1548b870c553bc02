// The render request a client sends to `POST /api/jobs/render` (the seed's shape, plus a kind).
import { z } from 'zod';
import { ConceptId, ProjectId, UploadId } from '../ids.js';
import { WebhookSpec } from '../webhooks/spec.js';
import { DrawableConcept } from './concept.js';

export const RENDER_TYPES = ['axonometric'] as const;
export const RenderType = z.enum(RENDER_TYPES);

/** What the job does; each kind is one file in `shared/kinds/`. */
export const JOB_KINDS = ['render', 'edit', 'preview'] as const;
export const JobKindName = z.enum(JOB_KINDS);
export type JobKindName = z.output<typeof JobKindName>;

export const MAX_REFERENCES = 8;

/** Printable ASCII, as Stripe and the IETF draft allow; hashed before it names anything in the store. */
export const IdempotencyKey = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');

export const RenderRequest = z
  .strictObject({
    projectId: ProjectId,
    renderType: RenderType,
    kind: JobKindName.default('render'),
    /** Defaults to a hash of `conceptInputs`: the same concept gets the same id. */
    conceptId: ConceptId.optional(),
    conceptInputs: DrawableConcept,
    /** Uploaded reference images (POST /api/uploads first), for `kind: "edit"`. */
    references: z.array(UploadId).min(1).max(MAX_REFERENCES).optional(),
    maxAttempts: z.number().int().min(1).max(10).optional(),
    /** Signed POSTs to this URL on the chosen events (Standard Webhooks). */
    webhook: WebhookSpec.optional(),
    /** Same key (in a project, for one owner) → the same job; also the `Idempotency-Key` header. */
    idempotencyKey: IdempotencyKey.optional(),
    /** Not started within this long → the job ends failed with code `expired` (default START_DEADLINE_MS). */
    startWithinMs: z
      .number()
      .int()
      .min(1000)
      .max(7 * 24 * 3600_000)
      .optional(),
    /** One attempt's render may take this long before it is aborted (default RUN_DEADLINE_MS). */
    runWithinMs: z
      .number()
      .int()
      .min(1000)
      .max(6 * 3600_000)
      .optional(),
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
