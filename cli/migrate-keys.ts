// `render-jobs migrate-keys`: moves what was stored under a project id with capitals before keys
// were case-safe (`jobs/Demo/…`) to its case-safe folder (`jobs/demo.1/…`, see idSegment). Ids
// without capitals never moved, so a store that never saw one has nothing to do. Run it with the
// new release before its workers start (DESIGN.md: keys do not depend on case); it can be run
// again: whatever it already moved is not found under the old key.
import { parseJsonOrNull } from '../shared/json.js';
import { idempotencyKeyHash } from '../shared/queue/idempotency.js';
import { idOfSegment, idSegment, keys, PROJECT_FOLDERS } from '../shared/store/keys.js';
import { listAll, listAllFolders, type ObjectStore } from '../shared/store/object-store.js';

export interface KeyMigrationReport {
  /** Folders named by a project id with capitals, the old way, that held something to move. */
  legacyFolders: string[];
  /** Objects moved (or, in a dry run, that would be). */
  moved: number;
  /** Job documents whose image and preview keys were rewritten. */
  documentsRewritten: number;
  /** Objects left where they are: not a readable job document. */
  skipped: string[];
}

interface JobFields {
  projectId?: unknown;
  jobId?: unknown;
  ownerId?: unknown;
  idempotencyKey?: unknown;
  previewKey?: unknown;
  result?: { key?: unknown } | null;
}

export async function migrateKeys(store: ObjectStore, opts: { dryRun?: boolean } = {}): Promise<KeyMigrationReport> {
  const report: KeyMigrationReport = { legacyFolders: [], moved: 0, documentsRewritten: 0, skipped: [] };
  const done = new Set<string>(); // a dry run finds the objects a document named again in the sweep
  const move = async (from: string, to: string, rewrite?: (body: Buffer) => Buffer): Promise<void> => {
    if (from === to || done.has(from)) return;
    done.add(from);
    const object = await store.get(from);
    if (!object) return; // listed under a case variant of this folder (case-insensitive listings), or moved already
    report.moved++;
    const folder = `${from.split('/', 2).join('/')}/`;
    if (!report.legacyFolders.includes(folder)) report.legacyFolders.push(folder);
    if (opts.dryRun) return;
    await store.put(to, rewrite ? rewrite(object.body) : object.body, { contentType: object.contentType });
    // On a case-insensitive disk two keys that differ only in case are one file: never delete it.
    if (from.toLowerCase() !== to.toLowerCase()) await store.delete(from);
  };

  // Job documents first, each with what it names: on a case-insensitive disk one folder may hold
  // the jobs of several case variants, and only the document knows its project.
  for (const folder of await legacyFolders(store, 'jobs/')) {
    for (const name of await namesIn(store, `${folder}/`)) {
      const from = `${folder}/${name}`;
      const object = await store.get(from);
      if (!object) continue; // listed under a case variant of this folder
      const doc = parseJsonOrNull(object.body) as JobFields | null;
      if (!doc || typeof doc.projectId !== 'string' || typeof doc.jobId !== 'string') {
        report.skipped.push(from);
        continue;
      }
      const projectId = doc.projectId;
      const jobId = doc.jobId;
      const rehome = (key: unknown) => (typeof key === 'string' ? rehomed(key, projectId) : key);
      for (const key of [doc.result?.key, doc.previewKey]) if (typeof key === 'string') await move(key, rehomed(key, projectId));
      const oldFolder = folder.slice('jobs/'.length);
      await move(`charges/${oldFolder}/${jobId}.json`, keys.charge(projectId, jobId));
      if (typeof doc.idempotencyKey === 'string') {
        const hash = idempotencyKeyHash(typeof doc.ownerId === 'string' ? doc.ownerId : null, doc.idempotencyKey);
        await move(`idempotency/${oldFolder}/${hash}`, keys.idempotency(projectId, hash));
      }
      await move(from, keys.job(projectId, jobId), (body) => {
        const json = JSON.parse(body.toString('utf8')) as JobFields;
        if (json.result) json.result.key = rehome(json.result.key);
        if (typeof json.previewKey === 'string') json.previewKey = rehome(json.previewKey) as string;
        return Buffer.from(JSON.stringify(json));
      });
      if (!opts.dryRun) report.documentsRewritten++;
    }
  }
  // Then whatever no document names: uploads, records of creates that never finished, orphans.
  for (const root of PROJECT_FOLDERS.filter((r) => r !== 'jobs/')) {
    for (const folder of await legacyFolders(store, root)) {
      const projectId = folder.slice(root.length);
      for (const name of await namesIn(store, `${folder}/`)) await move(`${folder}/${name}`, `${root}${idSegment(projectId)}/${name}`);
    }
  }
  return report;
}

/** Folders under `root` named the old way (a project id with capitals), as full keys without `/`. */
async function legacyFolders(store: ObjectStore, root: string): Promise<string[]> {
  const out: string[] = [];
  for await (const f of listAllFolders(store, root)) if (idOfSegment(f.name) === null && /^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(f.name)) out.push(f.key);
  return out;
}

/** Listed first, moved after: moving while paging by offset would skip entries. */
async function namesIn(store: ObjectStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of listAll(store, prefix)) out.push(e.name);
  return out;
}

/** `results/Demo/x.png` → `results/demo.1/x.png`: the project folder of a key, made case-safe. */
function rehomed(key: string, projectId: string): string {
  const [root, , ...rest] = key.split('/');
  if (!root || rest.length === 0 || !PROJECT_FOLDERS.includes(`${root}/` as (typeof PROJECT_FOLDERS)[number])) return key;
  return `${root}/${idSegment(projectId)}/${rest.join('/')}`;
}
