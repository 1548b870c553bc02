// The prompt an image model gets for a concept: a pure function of the concept inputs, so the same
// concept always asks for the same picture, and the local renderer and OpenAI read the same facts.
import { type ConceptInputs, type Volume, volumeHeight } from '../../job/concept.js';

const round = (n: number) => Number(n.toFixed(1));

export function buildPrompt(concept: ConceptInputs, opts: { references?: number } = {}): string {
  const { site, volumes, view } = concept;
  const lines = [
    `Axonometric architectural render${concept.title ? ` of "${concept.title}"` : ''}: a 3D massing model seen from above at a corner,`,
    `parallel projection (no perspective), camera rotated ${round(view.azimuthDeg)}° about the vertical axis and ${round(view.elevationDeg)}° above the ground.`,
    `Site: ${round(site.width)} m wide by ${round(site.depth)} m deep, shown as a flat ground plane.`,
    `${volumes.length} building volume${volumes.length === 1 ? '' : 's'}, measured from the site's back-left corner:`,
    ...volumes.map((v, i) => `- ${describeVolume(v, i, concept)}`),
    `Materials: mainly ${concept.materials.primary}${concept.materials.secondary ? `, with ${concept.materials.secondary}` : ''}.`,
  ];
  const palette = Object.entries(concept.palette).filter(([, c]) => c !== undefined);
  if (palette.length > 0) lines.push(`Colours: ${palette.map(([part, c]) => `${part} ${c}`).join(', ')}.`);
  if (opts.references) {
    lines.push(
      `Keep the design language, materials and mood of the ${opts.references} reference image${opts.references === 1 ? '' : 's'}, but follow the massing above exactly.`,
    );
  }
  lines.push('Keep the proportions, positions and heights exactly as given; no people, no text, no labels.');
  if (concept.stylePrompt) lines.push(`Style: ${concept.stylePrompt.trim()}`);
  return lines.join('\n');
}

function describeVolume(v: Volume, i: number, concept: ConceptInputs): string {
  const roof = v.roof ?? concept.roof;
  const parts = [
    `${v.id ?? `volume ${i + 1}`}: ${round(v.footprint.width)} × ${round(v.footprint.depth)} m footprint at (${round(v.offset.x)}, ${round(v.offset.y)})`,
    v.floors ? `${v.floors} floor${v.floors === 1 ? '' : 's'} (${round(volumeHeight(v))} m)` : `${round(volumeHeight(v))} m tall`,
  ];
  if (v.elevation > 0) parts.push(`standing ${round(v.elevation)} m above the ground`);
  parts.push(
    roof.form === 'flat' ? 'flat roof' : `${roof.form} roof pitched ${round(roof.pitchDeg)}°, ridge along ${roof.ridge === 'x' ? 'the width' : 'the depth'}`,
  );
  parts.push(v.material ?? concept.materials.primary);
  return parts.join(', ');
}

/** The model's nearest supported canvas for the concept's view: square, landscape or portrait. */
export function imageSizeFor(view: ConceptInputs['view']): '1024x1024' | '1536x1024' | '1024x1536' {
  const ratio = view.width / view.height;
  if (ratio > 1.2) return '1536x1024';
  if (ratio < 1 / 1.2) return '1024x1536';
  return '1024x1024';
}
