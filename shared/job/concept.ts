// What an architectural concept is, as a render request carries it: the site, its massing volumes,
// roof, materials and palette, the axonometric view and a style prompt. Lengths are metres.
import { z } from 'zod';

const metres = (min: number, max: number) => z.number().finite().min(min).max(max);
const Color = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'a colour like #aabbcc');

export const MATERIALS = ['concrete', 'timber', 'brick', 'glass', 'steel', 'stone', 'render', 'zinc'] as const;
export const Material = z.enum(MATERIALS);
export const RoofForm = z.enum(['flat', 'gable', 'hip', 'shed']);

export const Roof = z.strictObject({
  form: RoofForm.default('flat'),
  pitchDeg: z.number().min(0).max(60).default(30),
  /** The ridge runs along the volume's width (`x`) or depth (`y`). */
  ridge: z.enum(['x', 'y']).default('x'),
});

export const Volume = z
  .strictObject({
    id: z
      .string()
      .max(40)
      .regex(/^[A-Za-z0-9_-]+$/)
      .optional(),
    footprint: z.strictObject({ width: metres(0.5, 1000), depth: metres(0.5, 1000) }),
    /** From the site's back-left corner to the volume's back-left corner. */
    offset: z.strictObject({ x: metres(0, 2000).default(0), y: metres(0, 2000).default(0) }).prefault({}),
    /** Height of the base above ground, to stack a tower on a podium. */
    elevation: metres(0, 1000).default(0),
    height: metres(0.5, 1000).optional(),
    floors: z.number().int().min(1).max(200).optional(),
    floorHeight: metres(2, 10).default(3.2),
    roof: Roof.optional(),
    material: Material.optional(),
  })
  .refine((v) => v.height !== undefined || v.floors !== undefined, {
    message: 'give a height or a number of floors',
    path: ['height'],
  });

export const ConceptInputs = z
  .strictObject({
    title: z.string().max(120).optional(),
    site: z.strictObject({ width: metres(1, 2000), depth: metres(1, 2000) }),
    volumes: z.array(Volume).min(1, 'at least one volume').max(32, 'at most 32 volumes'),
    roof: Roof.prefault({}),
    materials: z.strictObject({ primary: Material.default('concrete'), secondary: Material.optional() }).prefault({}),
    palette: z.strictObject({ walls: Color, roof: Color, ground: Color, accent: Color, background: Color }).partial().prefault({}),
    view: z
      .strictObject({
        /** Rotation of the site about the vertical axis; 45° is the classic isometric corner view. */
        azimuthDeg: z.number().min(0).max(360).default(45),
        /** Angle of the eye above the ground plane; 35.26° is true isometric. */
        elevationDeg: z.number().min(10).max(80).default(35.26),
        width: z.number().int().min(256).max(2048).default(1024),
        height: z.number().int().min(256).max(2048).default(768),
      })
      .prefault({}),
    stylePrompt: z.string().max(2000).optional(),
  })
  .superRefine((c, ctx) => {
    c.volumes.forEach((v, i) => {
      if (v.offset.x + v.footprint.width > c.site.width + 1e-9) {
        ctx.addIssue({ code: 'custom', path: ['volumes', i, 'footprint', 'width'], message: 'volume reaches past the site width' });
      }
      if (v.offset.y + v.footprint.depth > c.site.depth + 1e-9) {
        ctx.addIssue({ code: 'custom', path: ['volumes', i, 'footprint', 'depth'], message: 'volume reaches past the site depth' });
      }
    });
  });

export type ConceptInputs = z.output<typeof ConceptInputs>;
export type Volume = z.output<typeof Volume>;
export type Roof = z.output<typeof Roof>;

/**
 * What one drawing may cost. Rasterising is CPU work (off the event loop, but a core is still busy
 * and a running rasterisation cannot be stopped), so a request is refused before it is queued when
 * its drawing would cost more. Floor lines are the expensive part: each is a stroke across a whole
 * wall, so their cost grows with their number times the drawing's size. Volumes × pixels is bounded
 * by the limits above (32 volumes, 2048 × 2048 px). The worst concept these allow (32 overlapping
 * full-site volumes, 1,000 floor lines, 2048 × 2048 px) costs about 1 s of one core: see
 * `npm run bench -- --only render`.
 */
export const DRAWING_LIMITS = {
  /** The same cap as `floors`, also when the floors come from `height / floorHeight`. */
  floorsPerVolume: 200,
  /** Floor lines (all volumes) × the view's longer side in px: 1,000 lines at 2048 px, 2,000 at 1024. */
  floorLinePixels: 1000 * 2048,
} as const;

/** A volume's height in metres, from `height` or `floors × floorHeight`. */
export function volumeHeight(v: Volume): number {
  return v.height ?? (v.floors ?? 1) * v.floorHeight;
}

/** How many storeys the drawing shows on a volume's walls (one fewer floor lines). */
export function volumeFloors(v: Volume): number {
  return v.floors ?? Math.max(1, Math.round(volumeHeight(v) / v.floorHeight));
}

/** Why a concept would cost too much to draw (empty when it is within DRAWING_LIMITS). */
export function drawingLimitIssues(c: ConceptInputs): Array<{ path: PropertyKey[]; message: string }> {
  const issues: Array<{ path: PropertyKey[]; message: string }> = [];
  c.volumes.forEach((v, i) => {
    const floors = volumeFloors(v);
    if (floors > DRAWING_LIMITS.floorsPerVolume) {
      issues.push({
        path: ['volumes', i, 'floorHeight'],
        message: `height / floorHeight gives ${floors} floors; at most ${DRAWING_LIMITS.floorsPerVolume} (give a larger floorHeight, or floors)`,
      });
    }
  });
  const lines = c.volumes.reduce((n, v) => n + volumeFloors(v) - 1, 0);
  const side = Math.max(c.view.width, c.view.height);
  const allowed = Math.floor(DRAWING_LIMITS.floorLinePixels / side);
  if (lines > allowed) {
    issues.push({
      path: ['volumes'],
      message: `too detailed to draw: ${lines} floor lines at ${side} px; at most ${allowed} at this size (${Math.floor(DRAWING_LIMITS.floorLinePixels / 1024)} at 1024 px). Use fewer floors or a smaller view.`,
    });
  }
  return issues;
}

/** A concept as a request may carry it: valid, and within DRAWING_LIMITS. Stored documents are read
 * with `ConceptInputs` alone, so jobs queued before a limit changed still read (the renderer
 * refuses them itself). */
export const DrawableConcept = ConceptInputs.superRefine((c, ctx) => {
  for (const issue of drawingLimitIssues(c)) ctx.addIssue({ code: 'custom', ...issue });
});
