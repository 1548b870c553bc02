// One drawing, start to finish: the concept as SVG, rasterised by resvg, encoded as PNG. Synchronous
// and CPU-bound (about 1 s of a core for the worst concept the schema allows): call it from a draw
// thread (draw-pool.ts), never from a process's event loop.
import { Resvg } from '@resvg/resvg-js';
import type { ConceptInputs } from '../../job/concept.js';
import { drawConcept } from './draw.js';

export interface Picture {
  png: Buffer;
  width: number;
  height: number;
  faceCount: number;
}

/** Thrown between steps when `stopped()` says the caller no longer wants the picture. */
export class PictureStopped extends Error {}

export function drawPicture(c: ConceptInputs, stopped: () => boolean = () => false): Picture {
  const drawing = drawConcept(c);
  // A running rasterisation cannot be interrupted (resvg has no hook), so a stop is honoured at the
  // step boundaries: before rasterising and before encoding.
  if (stopped()) throw new PictureStopped();
  const image = new Resvg(drawing.svg, { fitTo: { mode: 'original' }, font: { loadSystemFonts: false } }).render();
  if (stopped()) throw new PictureStopped();
  return { png: image.asPng(), width: drawing.width, height: drawing.height, faceCount: drawing.faceCount };
}
