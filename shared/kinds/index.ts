// Every kind of job, by name. Adding a kind is one file and one line here.
import type { JobKindName } from '../job/request.js';
import { editKind } from './edit.js';
import type { JobKind } from './kind.js';
import { previewKind } from './preview.js';
import { renderKind } from './render.js';

export const KINDS: Record<JobKindName, JobKind> = {
  render: renderKind,
  edit: editKind,
  preview: previewKind,
};

export function kindOf(name: JobKindName): JobKind {
  return KINDS[name];
}
