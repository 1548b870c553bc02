// The drawing: site, volumes back to front, walls shaded by a fixed sun, floor lines, ink edges.
import type { ConceptInputs } from '../../job/concept.js';
import { type Face, type Vec3, centroid, depth, facesViewer, outwardNormal, project, viewOf, volumeCentre, volumeFaces } from './geometry.js';

const MATERIAL_COLOURS: Record<string, string> = {
  concrete: '#b9b6ae',
  timber: '#b98a5e',
  brick: '#a9583c',
  glass: '#8fb3c9',
  steel: '#8a9299',
  stone: '#cbc2a9',
  render: '#e6e0d3',
  zinc: '#7c8288',
};
const DEFAULT_PALETTE = { roof: '#9a938a', ground: '#dfe3d3', accent: '#c0583a', background: '#f7f5f0' };
const INK = '#2b2a28';
// Sun from the viewer's upper left, fixed in world space so shading reads like a model on a table.
const SUN: Vec3 = normalise([-0.45, 0.35, 0.82]);

export interface Drawing {
  svg: string;
  width: number;
  height: number;
  faceCount: number;
}

export function drawConcept(c: ConceptInputs): Drawing {
  const view = viewOf(c);
  const { width, height } = c.view;
  const palette = { ...DEFAULT_PALETTE, ...c.palette };
  const primary = c.palette.walls ?? MATERIAL_COLOURS[c.materials.primary]!;

  // Farther volumes first (painter's algorithm); within a volume only the faces that face us.
  const order = c.volumes.map((v, i) => ({ i, d: depth(view, volumeCentre(v)) })).sort((a, b) => b.d - a.d || a.i - b.i);
  const faces: Array<{ face: Face; fill: string }> = [];
  for (const { i } of order) {
    const vol = c.volumes[i]!;
    const centre = volumeCentre(vol);
    const wallColour = vol.material
      ? MATERIAL_COLOURS[vol.material]!
      : i % 3 === 2 && c.materials.secondary
        ? MATERIAL_COLOURS[c.materials.secondary]!
        : primary;
    const visible = volumeFaces(vol, i, c.roof)
      .map((face) => ({ face, normal: outwardNormal(face.points, centre) }))
      .filter(({ normal }) => facesViewer(view, normal))
      .sort((a, b) => depth(view, centroid(b.face.points)) - depth(view, centroid(a.face.points)));
    for (const { face, normal } of visible) {
      const base = face.kind === 'roof' ? palette.roof : wallColour;
      faces.push({ face, fill: shade(base, normal) });
    }
  }

  const site: Vec3[] = [
    [0, 0, 0],
    [c.site.width, 0, 0],
    [c.site.width, c.site.depth, 0],
    [0, c.site.depth, 0],
  ];
  const fit = fitToCanvas(
    [...site, ...faces.flatMap((f) => f.face.points)].map((p) => project(view, p)),
    width,
    height,
  );
  const pts = (points: Vec3[]) => points.map((p) => fit(project(view, p)).map(fmt).join(',')).join(' ');
  const stroke = fmt(Math.max(0.8, Math.min(width, height) / 700));

  const parts: string[] = [];
  parts.push(`<rect width="${width}" height="${height}" fill="${palette.background}"/>`);
  parts.push(`<polygon points="${pts(site)}" fill="${palette.ground}" stroke="${INK}" stroke-width="${stroke}"/>`);
  parts.push(...gridLines(c, (p) => pts(p), stroke));
  parts.push(`<polygon points="${pts(northArrow(c, view))}" fill="${palette.accent}"/>`);
  for (const { face, fill } of faces) {
    parts.push(`<polygon points="${pts(face.points)}" fill="${fill}" stroke="${INK}" stroke-width="${stroke}" stroke-linejoin="round"/>`);
    // One path per wall, not one per floor: resvg pays per path (its bounds are scanned each time),
    // so 499 floors cost like one outline instead of 499 (see bench/render.ts).
    const segments = face.floorLines
      .map((z) => floorLine(face.points, z))
      .filter((l) => l !== null)
      .map((l) => `M${pts(l).replace(' ', 'L')}`);
    if (segments.length)
      parts.push(`<path d="${segments.join('')}" fill="none" stroke="${INK}" stroke-opacity="0.35" stroke-width="${fmt(Number(stroke) * 0.6)}"/>`);
  }

  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${parts.join('')}</svg>`;
  return { svg, width, height, faceCount: faces.length };
}

/** An arrow pointing north (−y) on the ground, at the site corner nearest the viewer so no volume hides it. */
function northArrow(c: ConceptInputs, view: ReturnType<typeof viewOf>): Vec3[] {
  const { width: w, depth: d } = c.site;
  const corners: Vec3[] = [
    [0, 0, 0],
    [w, 0, 0],
    [w, d, 0],
    [0, d, 0],
  ];
  const near = corners.reduce((best, p) => (depth(view, p) < depth(view, best) ? p : best));
  const size = Math.min(w, d) * 0.06;
  // Inset from the corner towards the site's middle.
  const x = near[0] + (near[0] === 0 ? 1 : -1) * size * 1.5;
  const y = near[1] + (near[1] === 0 ? 1 : -1) * size * 1.5;
  return [
    [x, y - size, 0],
    [x - size / 2, y + size / 2, 0],
    [x, y + size / 6, 0],
    [x + size / 2, y + size / 2, 0],
  ];
}

function gridLines(c: ConceptInputs, pts: (p: Vec3[]) => string, stroke: string): string[] {
  const step = niceStep(Math.max(c.site.width, c.site.depth) / 12);
  const lines: string[] = [];
  for (let x = step; x < c.site.width; x += step)
    lines.push(
      pts([
        [x, 0, 0],
        [x, c.site.depth, 0],
      ]),
    );
  for (let y = step; y < c.site.depth; y += step)
    lines.push(
      pts([
        [0, y, 0],
        [c.site.width, y, 0],
      ]),
    );
  return lines.map((p) => `<polyline points="${p}" fill="none" stroke="${INK}" stroke-opacity="0.12" stroke-width="${stroke}"/>`);
}

/** Where the horizontal plane at height z cuts a wall: a segment, or null if it misses. */
function floorLine(points: Vec3[], z: number): Vec3[] | null {
  const hits: Vec3[] = [];
  for (let i = 0; i < points.length; i++) {
    const a = points[i]!;
    const b = points[(i + 1) % points.length]!;
    if ((a[2] - z) * (b[2] - z) < 0) {
      const t = (z - a[2]) / (b[2] - a[2]);
      hits.push([a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]), z]);
    }
  }
  return hits.length === 2 ? hits : null;
}

function fitToCanvas(points: Array<[number, number]>, width: number, height: number) {
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const minX = Math.min(...xs);
  const minY = Math.min(...ys);
  const spanX = Math.max(...xs) - minX || 1;
  const spanY = Math.max(...ys) - minY || 1;
  const margin = 0.07;
  const scale = Math.min((width * (1 - 2 * margin)) / spanX, (height * (1 - 2 * margin)) / spanY);
  const offX = (width - spanX * scale) / 2;
  const offY = (height - spanY * scale) / 2;
  return ([x, y]: [number, number]): [number, number] => [offX + (x - minX) * scale, offY + (y - minY) * scale];
}

function shade(hex: string, normal: Vec3): string {
  const light = 0.62 + 0.38 * Math.max(0, normal[0] * SUN[0] + normal[1] * SUN[1] + normal[2] * SUN[2]);
  const channel = (i: number) => Math.round(Math.min(255, parseInt(hex.slice(1 + 2 * i, 3 + 2 * i), 16) * light));
  return '#' + [0, 1, 2].map((i) => channel(i).toString(16).padStart(2, '0')).join('');
}

function niceStep(raw: number): number {
  const pow = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow;
}

function normalise(v: Vec3): Vec3 {
  const len = Math.hypot(...v);
  return [v[0] / len, v[1] / len, v[2] / len];
}

const fmt = (n: number) => (Math.round(n * 100) / 100).toString();
