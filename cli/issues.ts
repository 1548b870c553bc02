// A refused request's zod issues as a person reads them: one line each, with its path. A path into
// a volume names the volume by its `id` ("tower"), not by its place in the list.
export interface Issue {
  path: Array<string | number>;
  message: string;
}

export function issuesOf(details: unknown): Issue[] {
  if (!Array.isArray(details)) return [];
  return details.filter((d): d is Issue => typeof d === 'object' && d !== null && Array.isArray((d as Issue).path) && typeof (d as Issue).message === 'string');
}

/** `conceptInputs.volumes["tower"].footprint.width`, given the request the path points into. */
export function pathText(path: Array<string | number>, request?: unknown): string {
  let text = '';
  let at: unknown = request;
  for (const [i, seg] of path.entries()) {
    const inVolumes = typeof seg === 'number' && path[i - 1] === 'volumes';
    const id = inVolumes ? (at as Array<{ id?: unknown }> | undefined)?.[seg]?.id : undefined;
    if (typeof id === 'string' && id) text += `[${JSON.stringify(id)}]`;
    else if (typeof seg === 'number') text += `[${seg}]`;
    else text += text ? `.${seg}` : seg;
    at = at !== null && typeof at === 'object' ? (at as Record<string | number, unknown>)[seg] : undefined;
  }
  return text || '(request)';
}

export function issueLines(details: unknown, request?: unknown): string[] {
  return issuesOf(details).map((i) => `  - ${pathText(i.path, request)}: ${i.message}`);
}
