// The SDK's hand-declared types against the server's zod schemas: this file compiles only while
// they match. Checked by `tsc --noEmit` and by contract-types.test.ts (which compiles it).
import { expectTypeOf } from 'vitest';
import type { z } from 'zod';
import type {
  CancelResponse,
  CreatedResponse,
  JobStatusResponse,
  ListResponse,
  StreamEvents,
  QueueOutlook as ZQueueOutlook,
} from '../../shared/api/contracts.js';
import type { ConceptInputs as ZConceptInputs, Roof as ZRoof, Volume as ZVolume } from '../../shared/job/concept.js';
import type { JobDocument } from '../../shared/job/document.js';
import type { RenderRequest as ZRenderRequest } from '../../shared/job/request.js';
import type { CancelResult, ConceptInputs, CreatedJob, Job, JobPage, JobView, QueueOutlook, RenderRequest, Roof, Volume } from '../../client/index.js';

type Out<S extends z.ZodType> = z.output<S>;
type In<S extends z.ZodType> = z.input<S>;

// What a client sends: exactly what the server's schema accepts.
expectTypeOf<RenderRequest>().toEqualTypeOf<In<typeof ZRenderRequest>>();
expectTypeOf<ConceptInputs>().toEqualTypeOf<In<typeof ZConceptInputs>>();
expectTypeOf<Volume>().toEqualTypeOf<In<typeof ZVolume>>();
expectTypeOf<Roof>().toEqualTypeOf<In<typeof ZRoof>>();

// What the server answers: the same fields and types (a stored concept has its defaults filled,
// which the input type describes too).
type JobDoc = Out<typeof JobDocument>;
expectTypeOf<Omit<Job, 'conceptInputs'>>().toEqualTypeOf<Omit<JobDoc, 'conceptInputs'>>();
expectTypeOf<JobDoc['conceptInputs']>().toExtend<Job['conceptInputs']>();
expectTypeOf<keyof Job>().toEqualTypeOf<keyof JobDoc>();
expectTypeOf<QueueOutlook | null>().toEqualTypeOf<Out<typeof ZQueueOutlook>>();

type WithJob<T, J> = { [K in keyof T]: K extends 'job' ? J : K extends 'jobs' ? J[] : T[K] };
expectTypeOf<WithJob<JobView, JobDoc>>().toEqualTypeOf<Out<typeof JobStatusResponse>>();
expectTypeOf<WithJob<CreatedJob, JobDoc>>().toEqualTypeOf<Out<typeof CreatedResponse>>();
expectTypeOf<WithJob<JobPage, JobDoc>>().toEqualTypeOf<Out<typeof ListResponse>>();
expectTypeOf<WithJob<CancelResult, JobDoc>>().toEqualTypeOf<Out<typeof CancelResponse>>();

// The event stream's status and done events are read as a JobView without its deliveries.
expectTypeOf<WithJob<Omit<JobView, 'webhookDeliveries'>, JobDoc>>().toEqualTypeOf<Out<(typeof StreamEvents)['status']>>();
expectTypeOf<WithJob<Omit<JobView, 'webhookDeliveries'>, JobDoc>>().toEqualTypeOf<Out<(typeof StreamEvents)['done']>>();
