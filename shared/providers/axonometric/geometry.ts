// The concept's massing as 3D faces, projected axonometrically (parallel projection, no perspective):
// pure functions, so the drawing is the same for the same inputs on every machine.
import { type ConceptInputs, type Roof, type Volume, volumeFloors, volumeHeight } from '../../job/concept.js';

export type Vec3 = readonly [number, number, number];
export type FaceKind = 'wall' | 'roof' | 'ground';

export interface Face {
  kind: FaceKind;
  points: Vec3[];
  /** Index of the volume in the concept (-1 for the ground). */
  volume: number;
  /** Heights of floor lines to draw across a wall (metres above ground). */
  floorLines: number[];
}

export interface View {
  azimuthRad: number;
  elevationRad: number;
  /** Site centre: the point the view rotates about. */
  cx: number;
  cy: number;
}

export function viewOf(c: ConceptInputs): View {
  return {
    azimuthRad: (c.view.azimuthDeg * Math.PI) / 180,
    elevationRad: (c.view.elevationDeg * Math.PI) / 180,
    cx: c.site.width / 2,
    cy: c.site.depth / 2,
  };
}

/** World point → rotated frame in which the viewer looks along −y' from above. */
function rotate(v: View, p: Vec3): Vec3 {
  const x = p[0] - v.cx;
  const y = p[1] - v.cy;
  const c = Math.cos(v.azimuthRad);
  const s = Math.sin(v.azimuthRad);
  return [x * c - y * s, x * s + y * c, p[2]];
}

/** Screen coordinates (y down), before scaling to the canvas. */
export function project(v: View, p: Vec3): [number, number] {
  const [x, y, z] = rotate(v, p);
  return [x, y * Math.sin(v.elevationRad) - z * Math.cos(v.elevationRad)];
}

/** Distance along the line of sight: larger is farther from the viewer. */
export function depth(v: View, p: Vec3): number {
  const [, y, z] = rotate(v, p);
  return -y * Math.cos(v.elevationRad) - z * Math.sin(v.elevationRad);
}

export function normalOf(points: Vec3[]): Vec3 {
  // Newell's method: robust for any planar polygon, whatever its winding.
  let nx = 0;
  let ny = 0;
  let nz = 0;
  for (let i = 0; i < points.length; i++) {
    const a = points[i]!;
    const b = points[(i + 1) % points.length]!;
    nx += (a[1] - b[1]) * (a[2] + b[2]);
    ny += (a[2] - b[2]) * (a[0] + b[0]);
    nz += (a[0] - b[0]) * (a[1] + b[1]);
  }
  const len = Math.hypot(nx, ny, nz) || 1;
  return [nx / len, ny / len, nz / len];
}

export function centroid(points: Vec3[]): Vec3 {
  const n = points.length;
  return [points.reduce((s, p) => s + p[0], 0) / n, points.reduce((s, p) => s + p[1], 0) / n, points.reduce((s, p) => s + p[2], 0) / n];
}

/** Outward normal of a face of a convex solid whose centre is `centre`. */
export function outwardNormal(face: Vec3[], centre: Vec3): Vec3 {
  const n = normalOf(face);
  const c = centroid(face);
  const outward = n[0] * (c[0] - centre[0]) + n[1] * (c[1] - centre[1]) + n[2] * (c[2] - centre[2]);
  return outward >= 0 ? n : [-n[0], -n[1], -n[2]];
}

/** A face is seen when its outward normal points against the line of sight. */
export function facesViewer(v: View, normal: Vec3): boolean {
  const [, ny, nz] = rotate({ ...v, cx: 0, cy: 0 }, normal);
  return -ny * Math.cos(v.elevationRad) - nz * Math.sin(v.elevationRad) < -1e-9;
}

/** The faces of one volume: four walls (their tops follow a shed roof) and its roof. */
export function volumeFaces(vol: Volume, index: number, defaultRoof: Roof): Face[] {
  const roof = vol.roof ?? defaultRoof;
  const x0 = vol.offset.x;
  const y0 = vol.offset.y;
  const x1 = x0 + vol.footprint.width;
  const y1 = y0 + vol.footprint.depth;
  const z0 = vol.elevation;
  const z1 = z0 + volumeHeight(vol);
  const tan = Math.tan((roof.pitchDeg * Math.PI) / 180);
  const alongX = roof.ridge === 'x';
  // Only a shed roof changes the height of the wall tops; it rises towards +y (or +x).
  const top = (x: number, y: number) => (roof.form === 'shed' ? z1 + (alongX ? y - y0 : x - x0) * tan : z1);

  const floors = volumeFloors(vol);
  const floorLines = floors > 1 ? Array.from({ length: floors - 1 }, (_, k) => z0 + ((k + 1) * (z1 - z0)) / floors) : [];
  const wall = (a: [number, number], b: [number, number]): Face => ({
    kind: 'wall',
    volume: index,
    floorLines,
    points: [
      [a[0], a[1], z0],
      [b[0], b[1], z0],
      [b[0], b[1], top(b[0], b[1])],
      [a[0], a[1], top(a[0], a[1])],
    ],
  });
  const faces: Face[] = [wall([x0, y0], [x1, y0]), wall([x1, y0], [x1, y1]), wall([x1, y1], [x0, y1]), wall([x0, y1], [x0, y0])];
  const roofFace = (points: Vec3[]): Face => ({ kind: 'roof', volume: index, floorLines: [], points });

  if (roof.form === 'flat' || roof.form === 'shed' || roof.pitchDeg === 0) {
    faces.push(
      roofFace([
        [x0, y0, top(x0, y0)],
        [x1, y0, top(x1, y0)],
        [x1, y1, top(x1, y1)],
        [x0, y1, top(x0, y1)],
      ]),
    );
    return faces;
  }
  // Gable and hip, computed with the ridge along x; a ridge along y swaps the axes.
  const w = alongX ? x1 - x0 : y1 - y0;
  const d = alongX ? y1 - y0 : x1 - x0;
  const half = d / 2;
  const rise = half * tan;
  const inset = roof.form === 'hip' ? Math.min(half, w / 2) : 0;
  const P = (u: number, v: number, z: number): Vec3 => (alongX ? [x0 + u, y0 + v, z] : [x0 + v, y0 + u, z]);
  const zr = z1 + (roof.form === 'hip' ? inset * tan : rise);
  faces.push(roofFace([P(0, 0, z1), P(w, 0, z1), P(w - inset, half, zr), P(inset, half, zr)]));
  faces.push(roofFace([P(w, d, z1), P(0, d, z1), P(inset, half, zr), P(w - inset, half, zr)]));
  const endKind: FaceKind = roof.form === 'hip' ? 'roof' : 'wall';
  faces.push({ kind: endKind, volume: index, floorLines: [], points: [P(0, d, z1), P(0, 0, z1), P(inset, half, zr)] });
  faces.push({ kind: endKind, volume: index, floorLines: [], points: [P(w, 0, z1), P(w, d, z1), P(w - inset, half, zr)] });
  return faces;
}

export function volumeCentre(vol: Volume): Vec3 {
  return [vol.offset.x + vol.footprint.width / 2, vol.offset.y + vol.footprint.depth / 2, vol.elevation + volumeHeight(vol) / 2];
}
