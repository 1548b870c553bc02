// What a client sends to POST /api/jobs/render, declared without zod so that the published package
// has no dependencies and an editor completes a concept field by field. The server's schemas
// (shared/job/request.ts, shared/job/concept.ts) are the truth: test/client/contract-types.ts fails
// to compile when these drift from them. Lengths are metres; defaults are the server's.

export type RenderType = 'axonometric';
export type JobKind = 'render' | 'edit' | 'preview';
export type Material = 'concrete' | 'timber' | 'brick' | 'glass' | 'steel' | 'stone' | 'render' | 'zinc';
export type RoofForm = 'flat' | 'gable' | 'hip' | 'shed';
export type WebhookEvent = 'started' | 'progress' | 'completed' | 'failed' | 'cancelled';

export interface Roof {
  /** Default `flat`. */
  form?: RoofForm;
  /** 0–60, default 30. */
  pitchDeg?: number;
  /** The ridge runs along the volume's width (`x`, the default) or depth (`y`). */
  ridge?: 'x' | 'y';
}

/** One massing volume. Give a `height` or a number of `floors`. */
export interface Volume {
  /** Names the volume in error messages: letters, digits, `_`, `-`; at most 40. */
  id?: string;
  footprint: { width: number; depth: number };
  /** From the site's back-left corner to the volume's back-left corner. Default 0, 0. */
  offset?: { x?: number; y?: number };
  /** Height of the base above ground, to stack a tower on a podium. Default 0. */
  elevation?: number;
  height?: number;
  /** 1–200, times `floorHeight`. */
  floors?: number;
  /** 2–10, default 3.2. */
  floorHeight?: number;
  /** Overrides the concept's roof. */
  roof?: Roof;
  material?: Material;
}

/** `#rrggbb` colours. */
export interface Palette {
  walls?: string;
  roof?: string;
  ground?: string;
  accent?: string;
  background?: string;
}

export interface View {
  /** Rotation of the site about the vertical axis, 0–360; default 45 (the classic corner view). */
  azimuthDeg?: number;
  /** Angle of the eye above the ground, 10–80; default 35.26 (true isometric). */
  elevationDeg?: number;
  /** Pixels, 256–2048; default 1024 × 768. */
  width?: number;
  height?: number;
}

/** An architectural concept. Unknown fields are refused by the server. */
export interface ConceptInputs {
  /** Shown on the dashboard's cards; at most 120 characters. */
  title?: string;
  site: { width: number; depth: number };
  /** 1–32 volumes, each inside the site. */
  volumes: Volume[];
  /** The default roof of every volume. */
  roof?: Roof;
  materials?: { primary?: Material; secondary?: Material };
  palette?: Palette;
  view?: View;
  /** At most 2000 characters. */
  stylePrompt?: string;
}

export interface WebhookSpec {
  url: string;
  /** Default `completed`, `failed`, `cancelled`. */
  events?: WebhookEvent[];
}

export interface RenderRequest {
  projectId: string;
  renderType: RenderType;
  /** Default `render`. `edit` needs `references`; `preview` answers at once with the finished job. */
  kind?: JobKind;
  /** Defaults to a hash of `conceptInputs`: the same concept gets the same id. */
  conceptId?: string;
  conceptInputs: ConceptInputs;
  /** 1–8 upload ids from `uploads.upload()`, for `kind: 'edit'`. */
  references?: string[];
  /** 1–10. */
  maxAttempts?: number;
  /** Signed POSTs (Standard Webhooks) on the chosen events. */
  webhook?: WebhookSpec;
  /** Same key (in a project, for one owner) → the same job. Printable ASCII, at most 255. */
  idempotencyKey?: string;
  /** Not started within this long → the job fails with code `expired`. */
  startWithinMs?: number;
  /** One attempt's render may take this long before it is aborted. */
  runWithinMs?: number;
}

/** A render request whose project may come from the client's `projectId` option. */
export type CreateRequest = Omit<RenderRequest, 'projectId'> & { projectId?: string };
